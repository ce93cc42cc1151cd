import { spawn } from 'node:child_process';
import type pg from 'pg';
import { backendCpuMs, backendCpuSpent, statementCount } from './database.js';
import { closedLoop, fixedRate, type LoadOutcome } from './load.js';
import { assertAlive, cpuMs, ROOT, rssMb, type Candidate } from './processes.js';
import type { PreparedRequest, QueryName } from './queries.js';

// One timed run of one candidate on one query (closed loop or fixed rate), the medians over
// rounds, and the per-candidate measures: memory across rounds and the token-verification cost.

export interface Settings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  poolSize: number;
  /** api-hybrid's DB_POOL_MAX (each of its two placements' pools). */
  hybridPoolSize: number;
  apiLogLevel: string;
  gateSample: number;
  /** Fixed-rate runs: this many requests/s for every query, or null for `rateFraction` of the slowest candidate's closed-loop median. */
  rate: number | null;
  rateFraction: number;
  /** Each fixed-rate run: a warm-up at the rate (discarded), then the timed run; `rounds` rounds of them. */
  rateSeconds: number;
  rateWarmupSeconds: number;
  /** The scale series' runs (one per candidate and dataset): warm-up (after every token was sent once), timed. */
  scaleWarmupSeconds: number;
  scaleSeconds: number;
  /** Send every token once to each candidate before a dataset's timed runs (bench/scale.ts). */
  scalePrime: boolean;
  /** Token verifications timed per runtime. */
  verifyIterations: number;
}

/** One closed-loop run: the load generator's outcome and what was measured around it. */
export interface RunResult extends LoadOutcome {
  round: number;
  candidate: string;
  query: QueryName;
  rps: number;
  statements: number | null;
  statementsPerRequest: number | null;
  /** The candidate's process (all threads), ms. */
  cpuMsPerRequest: number | null;
  /** The PostgreSQL backends connected to its databases (bench/database.ts backendCpuMs), ms: work moved into the database is counted. */
  dbCpuMsPerRequest: number | null;
  rssMbAfter: number | null;
  valid: boolean;
}

const bad = (o: LoadOutcome) => o.non2xx + o.errorBodies + o.socketErrors + o.timeouts;

/** Closed loop: a warm-up (discarded), then the timed run with SQL statements, server CPU and RSS. */
export async function measure(round: number, c: Candidate, q: QueryName, pool: PreparedRequest[], stats: pg.Client | null, s: Settings): Promise<RunResult> {
  assertAlive(c);
  await closedLoop(c.url, pool, s.connections, s.warmupSeconds); // warm-up, discarded
  if (stats) await stats.query('select pg_stat_statements_reset()');
  const dbCpuBefore = await backendCpuMs(stats, c.databases);
  const cpuBefore = cpuMs(c.process.pid);
  const o = await closedLoop(c.url, pool, s.connections, s.durationSeconds);
  const cpuAfter = cpuMs(c.process.pid);
  const dbCpu = backendCpuSpent(dbCpuBefore, await backendCpuMs(stats, c.databases));
  const statements = await statementCount(stats, c.databases);
  assertAlive(c);
  const { requests } = o;
  return {
    round,
    candidate: c.name,
    query: q,
    ...o,
    rps: requests / o.durationSeconds,
    statements,
    statementsPerRequest: statements === null || requests === 0 ? null : statements / requests,
    cpuMsPerRequest: cpuBefore === null || cpuAfter === null || requests === 0 ? null : (cpuAfter - cpuBefore) / requests,
    dbCpuMsPerRequest: dbCpu === null || requests === 0 ? null : dbCpu / requests,
    rssMbAfter: rssMb(c.process.pid),
    valid: bad(o) === 0 && requests > 0,
  };
}

export interface FixedRateRun {
  round: number;
  candidate: string;
  query: string;
  rate: number;
  scheduled: number;
  requests: number;
  achievedRps: number;
  /** Latency at the fixed rate, ms (sub-millisecond resolution). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The load generator's own timer lag, ms (not in the latency). */
  sendLagP99: number;
  non2xx: number;
  errorBodies: number;
  socketErrors: number;
  timeouts: number;
  sampleBadBody: string | null;
  /** The candidate kept up: answered at >= 95% of the rate. A latency at a rate it could not sustain is not "latency at that rate". */
  sustained: boolean;
  valid: boolean;
}

/** Fixed rate (open loop): a short warm-up at the same rate (discarded), then the timed run. */
export async function measureFixedRate(
  round: number,
  c: Candidate,
  q: string,
  pool: PreparedRequest[],
  rate: number,
  timing: { warmupSeconds: number; seconds: number; connections: number },
): Promise<FixedRateRun> {
  assertAlive(c);
  const opts = { rate, connections: timing.connections };
  if (timing.warmupSeconds > 0) await fixedRate(c.url, pool, { ...opts, seconds: timing.warmupSeconds });
  const o = await fixedRate(c.url, pool, { ...opts, seconds: timing.seconds });
  assertAlive(c);
  return {
    round,
    candidate: c.name,
    query: q,
    rate,
    scheduled: o.scheduled,
    requests: o.requests,
    achievedRps: o.achievedRps,
    p50: o.p50,
    p90: o.p90,
    p99: o.p99,
    max: o.max,
    sendLagP99: o.sendLagP99,
    non2xx: o.non2xx,
    errorBodies: o.errorBodies,
    socketErrors: o.socketErrors,
    timeouts: o.timeouts,
    sampleBadBody: o.sampleBadBody,
    sustained: o.achievedRps >= 0.95 * rate,
    valid: bad(o) === 0 && o.requests === o.scheduled,
  };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * The fixed rate for each query: `--rate` if given, else `fraction` of the slowest candidate's
 * closed-loop median on that query (a rate every candidate can sustain), at least 1 request/s.
 */
export function fixedRates(runs: RunResult[], queries: QueryName[], s: Settings): Partial<Record<QueryName, number>> {
  const rates: Partial<Record<QueryName, number>> = {};
  for (const q of queries) {
    if (s.rate !== null) {
      rates[q] = s.rate;
      continue;
    }
    const byCandidate = new Map<string, number[]>();
    for (const r of runs.filter((r) => r.query === q)) byCandidate.set(r.candidate, [...(byCandidate.get(r.candidate) ?? []), r.rps]);
    const slowest = Math.min(...[...byCandidate.values()].map(median));
    if (Number.isFinite(slowest)) rates[q] = Math.max(1, Math.round(slowest * s.rateFraction));
  }
  return rates;
}

export interface SummaryRow {
  candidate: string;
  query: string;
  rounds: number;
  /** Closed loop: requests/s (median over rounds, min, max) and latency at saturation (medians, ms). */
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50: number;
  p99: number;
  /** Fixed rate (open loop): the rate and the latency at it (ms); null when not run. */
  fixedRate: number | null;
  fixedP50: number | null;
  fixedP99: number | null;
  fixedSustained: boolean | null;
  statementsPerRequest: number | null;
  cpuMsPerRequest: number | null;
  dbCpuMsPerRequest: number | null;
  /** Highest RSS sampled right after this query's timed runs, MB. */
  maxRssMb: number | null;
  ratioToCeiling: number | null;
  /** requests/s over PostGraphile's on the same query (this API's rows only). */
  ratioToPeer: number | null;
  valid: boolean;
}

export function summarise(runs: RunResult[], fixed: FixedRateRun[], candidates: string[], queries: QueryName[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const q of queries) {
    const ceiling = runs.filter((r) => r.query === q && r.candidate === 'ceiling');
    const ceilingRps = ceiling.length ? median(ceiling.map((r) => r.rps)) : null;
    const peer = runs.filter((r) => r.query === q && r.candidate === 'postgraphile');
    const peerRps = peer.length ? median(peer.map((r) => r.rps)) : null;
    for (const c of candidates) {
      const rs = runs.filter((r) => r.query === q && r.candidate === c);
      if (rs.length === 0) continue;
      const fr = fixed.filter((r) => r.query === q && r.candidate === c);
      const rps = median(rs.map((r) => r.rps));
      const spr = rs.map((r) => r.statementsPerRequest).filter((v): v is number => v !== null);
      const cpu = rs.map((r) => r.cpuMsPerRequest).filter((v): v is number => v !== null);
      const dbCpu = rs.map((r) => r.dbCpuMsPerRequest).filter((v): v is number => v !== null);
      const rss = rs.map((r) => r.rssMbAfter).filter((v): v is number => v !== null);
      rows.push({
        candidate: c,
        query: q,
        rounds: rs.length,
        rps,
        rpsMin: Math.min(...rs.map((r) => r.rps)),
        rpsMax: Math.max(...rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        fixedRate: fr.length ? fr[0]!.rate : null,
        fixedP50: fr.length ? median(fr.map((r) => r.p50)) : null,
        fixedP99: fr.length ? median(fr.map((r) => r.p99)) : null,
        fixedSustained: fr.length ? fr.every((r) => r.sustained) : null,
        statementsPerRequest: spr.length ? median(spr) : null,
        cpuMsPerRequest: cpu.length ? median(cpu) : null,
        dbCpuMsPerRequest: dbCpu.length ? median(dbCpu) : null,
        maxRssMb: rss.length ? Math.max(...rss) : null,
        ratioToCeiling: ceilingRps ? rps / ceilingRps : null,
        ratioToPeer: peerRps && c !== 'postgraphile' && c !== 'ceiling' ? rps / peerRps : null,
        valid: rs.every((r) => r.valid) && fr.every((r) => r.valid),
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Token verification's share of server CPU

export interface TokenCost {
  runtime: string;
  /** Verifications in flight while timed (the load's connections). */
  concurrency: number;
  /** CPU time per verification, µs (process.cpuUsage: all threads, as /proc counts the servers), `concurrency` in flight. */
  apiCpuUs: number;
  benchCpuUs: number;
  apiWallUs: number;
  benchWallUs: number;
  /** The same, one at a time (each pays the threadpool hand-off alone: an upper bound). */
  apiCpuUsSequential: number;
  benchCpuUsSequential: number;
  iterations: number;
}

/**
 * Times token verification in a child process on the given Node binary (bench/token-cost.ts):
 * the API's own authenticator (src/auth/authenticate.ts: header parse, `decodeProtectedHeader`,
 * jose `jwtVerify` with its key and claim options) and the ceiling's and peer's verifier
 * (bench/candidate.ts), over this run's tokens, `concurrency` in flight and one at a time.
 */
export function measureTokenCost(nodePath: string, tokens: string[], env: Record<string, string>, iterations: number, concurrency: number): Promise<TokenCost> {
  return new Promise((ok, fail) => {
    const child = spawn(nodePath, ['--import', 'tsx', 'bench/token-cost.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, VERIFY_ITERATIONS: String(iterations), VERIFY_CONCURRENCY: String(concurrency) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code !== 0) return fail(new Error(`bench/token-cost.ts exited with ${code}: ${err.slice(0, 1000)}`));
      try {
        ok(JSON.parse(out.trim().split('\n').at(-1)!) as TokenCost);
      } catch (e) {
        fail(new Error(`bench/token-cost.ts printed no result: ${out.slice(0, 500)} ${err.slice(0, 500)} (${(e as Error).message})`));
      }
    });
    child.stdin.end(JSON.stringify(tokens));
  });
}

// ---------------------------------------------------------------------------------------------
// Per candidate: memory across rounds, token share

export interface CandidateRow {
  candidate: string;
  /** RSS right after the candidate's last timed run of round 1, and of the last round, MB. */
  rssFirstRoundMb: number | null;
  rssLastRoundMb: number | null;
  /** last / first (target for the API: at most 1.10). */
  rssGrowth: number | null;
  /** The kernel's high-water mark (VmHWM) at the end of the timed rounds, MB (target for the API: at most 300). */
  peakRssMb: number | null;
  /** CPU µs per token verification on this candidate's runtime, with its own verifier. */
  verifyCpuUs: number | null;
  /** verifyCpuUs / server CPU per request (closed loop), per query. */
  tokenShareByQuery: Record<string, number>;
  tokenShareList: number | null;
  tokenShareMax: number | null;
  tokenShareMaxQuery: string | null;
}

export function candidateRows(
  candidates: Candidate[],
  rssAfterRound: Record<string, (number | null)[]>,
  peakRss: Record<string, number | null>,
  tokenCosts: Map<string, TokenCost>,
  summary: SummaryRow[],
): CandidateRow[] {
  return candidates.map((c) => {
    const rounds = rssAfterRound[c.name] ?? [];
    const first = rounds[0] ?? null;
    const last = rounds.at(-1) ?? null;
    const cost = tokenCosts.get(c.runtime);
    const verifyCpuUs = cost ? (c.name.startsWith('api') ? cost.apiCpuUs : cost.benchCpuUs) : null;
    const tokenShareByQuery: Record<string, number> = {};
    for (const r of summary.filter((r) => r.candidate === c.name)) {
      if (verifyCpuUs !== null && r.cpuMsPerRequest) tokenShareByQuery[r.query] = verifyCpuUs / 1000 / r.cpuMsPerRequest;
    }
    const max = Object.entries(tokenShareByQuery).sort((a, b) => b[1] - a[1])[0];
    return {
      candidate: c.name,
      rssFirstRoundMb: first,
      rssLastRoundMb: last,
      rssGrowth: first && last ? last / first : null,
      peakRssMb: peakRss[c.name] ?? null,
      verifyCpuUs,
      tokenShareByQuery,
      tokenShareList: tokenShareByQuery.list ?? null,
      tokenShareMax: max?.[1] ?? null,
      tokenShareMaxQuery: max?.[0] ?? null,
    };
  });
}
