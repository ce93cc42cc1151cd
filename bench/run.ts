import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { issueToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config/index.js';
import { openDatabase, openStatementStats, serverVersion, stopDatabase, withClient } from './database.js';
import { correctnessGate, post, type AuditCheck, type AuditCount } from './gate.js';
import { installPeerAudit } from './peer-audit.js';
import {
  candidateRows,
  fixedRates,
  measure,
  measureFixedRate,
  measureTokenCost,
  summarise,
  type FixedRateRun,
  type RunResult,
  type Settings,
  type TokenCost,
} from './measure.js';
import { ensurePeerInstalled, findNode, peakRssMb, ROOT, rssMb, startCandidate, startProdNodeFlags, stopAllCandidates, stopProcess, type Candidate } from './processes.js';
import { body, PEER_NOTES, PEER_ORDER, prepareRequests, QUERIES, QUERY_NAMES, type Dialect, type QueryName, type Requests } from './queries.js';
import { barChart, candidateTable, hybridTable, markdownTable, scaleTable } from './report.js';
import { compareHybrid, DEDICATED_PLACEMENT, HYBRID_TARGET, HYBRID_TARGET_QUERY, hybridOrganizations, makeHybridDatabases, syncCreatedDocuments } from './hybrid.js';
import { FULL_SERIES, runScaleSeries, SMOKE_SERIES, type ScaleResult } from './scale.js';
import { seed, type Scale } from './seed.js';

// `npm run bench` (see bench/README.md). Seeds a database, starts each candidate as its own
// process on loopback, checks they answer alike, drives them in interleaved closed-loop rounds
// and then at a fixed rate, optionally runs the scale series, and writes JSON, Markdown and SVG
// under bench/results/.

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    organizations: { type: 'string' },
    documents: { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    pool: { type: 'string' },
    /** api-hybrid's DB_POOL_MAX (each placement's pool; default --pool): a control for its extra connections. */
    'hybrid-pool': { type: 'string' },
    queries: { type: 'string' },
    /** Which candidates to start, comma-separated: ceiling, api, api-hybrid, api-node22, postgraphile. */
    candidates: { type: 'string' },
    'api-log-level': { type: 'string' },
    /** Writes a V8 CPU profile of the API process (and of api-hybrid's) into <out>/profile (slows it: not for a timed run). */
    'api-cpu-prof': { type: 'boolean', default: false },
    /** Extra Node/V8 flags for every API candidate (space-separated, e.g. "--max-semi-space-size=8"): for memory experiments. */
    'api-node-flags': { type: 'string' },
    /** Fixed-rate runs at this many requests/s (default: 60% of the slowest candidate's closed-loop median, per query). */
    rate: { type: 'string' },
    /** Seconds of each timed fixed-rate run (default: --duration; 0.5 in the smoke). */
    'rate-duration': { type: 'string' },
    /** The scale series: on by default (the smoke runs a tiny one); --no-scale-series skips it. */
    'scale-series': { type: 'boolean', default: false },
    'no-scale-series': { type: 'boolean', default: false },
    /** Only the scale series (ceiling and API): writes <out>/scale.{json,md}, leaves results.* alone. */
    'scale-only': { type: 'boolean', default: false },
    /** The embedded PostgreSQL's data directory (default .data/bench): give concurrent runs their own. */
    'data-dir': { type: 'string' },
  },
});
const smoke = args.smoke!;
const scaleOnly = args['scale-only']!;
// The full run includes the scale series, the smoke a tiny one (SMOKE_SERIES, a few seconds); --no-scale-series skips it.
const withScale = scaleOnly || args['scale-series']! || !args['no-scale-series'];
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));

const scale: Scale = smoke
  ? { organizations: num(args.organizations, 3), documentsPerOrganization: num(args.documents, 20), bigOrganizationDocuments: 200, bigOrganizationMembers: 3, commentsPerDocument: 3 }
  : { organizations: num(args.organizations, 1000), documentsPerOrganization: num(args.documents, 100), bigOrganizationDocuments: 20_000, bigOrganizationMembers: 50, commentsPerDocument: 3 };
const durationSeconds = num(args.duration, smoke ? 1 : 5);
const settings: Settings = {
  connections: num(args.connections, smoke ? 2 : 16),
  durationSeconds,
  warmupSeconds: num(args.warmup, smoke ? 0.5 : 2),
  rounds: num(args.rounds, smoke ? 1 : 3),
  poolSize: num(args.pool, 10),
  hybridPoolSize: num(args['hybrid-pool'], num(args.pool, 10)),
  apiLogLevel: args['api-log-level'] ?? 'warn',
  gateSample: smoke ? 3 : 20,
  rate: args.rate === undefined ? null : Number(args.rate),
  rateFraction: 0.6,
  rateSeconds: num(args['rate-duration'], smoke ? 0.5 : 3),
  // The candidates are warm from the closed-loop rounds: half a second opens the connections (none in the smoke).
  rateWarmupSeconds: smoke ? 0 : 0.5,
  // Fresh data is cold: a full warm-up (after every token was sent once, see bench/scale.ts).
  scaleWarmupSeconds: smoke ? 0 : num(args.warmup, 2),
  scaleSeconds: num(args['rate-duration'], smoke ? 0.5 : durationSeconds),
  scalePrime: !smoke,
  verifyIterations: smoke ? 1_000 : 10_000,
};
if (settings.rate !== null && !(settings.rate >= 1)) throw new Error('--rate must be at least 1 (requests/s)');
const ALL_CANDIDATES = ['ceiling', 'api', 'api-hybrid', 'api-node22', 'postgraphile'] as const;
type CandidateName = (typeof ALL_CANDIDATES)[number];
// The smoke skips the API's second runtime (another ~10 s start for the same code); the peer stays
// in, and so does api-hybrid (it checks the routing to a dedicated placement gives the same answers).
// The scale series alone needs only the ceiling and the API.
const candidateNames = (args.candidates?.split(',') ??
  (scaleOnly ? ['ceiling', 'api'] : smoke ? ['ceiling', 'api', 'api-hybrid', 'postgraphile'] : [...ALL_CANDIDATES])) as CandidateName[];
for (const c of candidateNames) if (!ALL_CANDIDATES.includes(c)) throw new Error(`unknown candidate ${c}; known: ${ALL_CANDIDATES.join(', ')}`);
if (scaleOnly && candidateNames.includes('api-hybrid')) throw new Error('the scale series runs the ceiling and api only: leave api-hybrid out of --candidates with --scale-only');
if (!candidateNames.includes('ceiling')) throw new Error('the ceiling is the reference: keep it in --candidates');
const outDir = resolve(ROOT, args.out ?? (smoke ? 'bench/results/smoke' : 'bench/results'));
const queryNames = (args.queries?.split(',') ?? QUERY_NAMES) as QueryName[];
for (const q of queryNames) if (!(q in QUERIES)) throw new Error(`unknown query ${q}; known: ${QUERY_NAMES.join(', ')}`);

async function main(): Promise<number> {
  const started = Date.now();
  await mkdir(outDir, { recursive: true });
  const log = (m: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}`);

  const { url, source } = await openDatabase(args['data-dir'] ? resolve(args['data-dir']) : undefined);
  log(`database: ${source}`);

  const t0 = Date.now();
  const data = scaleOnly ? null : await seed(url, scale);
  if (!scaleOnly) log(`seeded ${scale.organizations} organizations x ${scale.documentsPerOrganization} documents + 1 organization with ${scale.bigOrganizationDocuments} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  // The hybrid case: copies of the seeded database, every other requesting organization moved to a
  // dedicated placement (bench/hybrid.ts). Made before anything else connects to `url` (TEMPLATE needs that).
  const hybrid = data && candidateNames.includes('api-hybrid') ? await makeHybridDatabases(url, hybridOrganizations(data)) : null;
  if (hybrid) log(`hybrid databases: ${hybrid.moved} of ${data!.tenants.length} requesting organizations on placement '${DEDICATED_PLACEMENT}' (${hybrid.databases.join(', ')}) in ${hybrid.seconds.toFixed(1)}s`);
  let stats = await openStatementStats(url, log);

  // Tokens: signed once, before timing, with the API's own issueToken and configuration.
  const jwtSecret = randomBytes(48).toString('base64url');
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: jwtSecret, DATABASE_URL: url, JWT_TTL_SECONDS: String(24 * 3600) });
  const sign = async (userId: string, organizationId: string, role: 'OWNER' | 'MEMBER') => (await issueToken(config.jwt, { userId, organizationId, role })).accessToken;
  const tokens = new Map<string, string>();
  if (data) {
    for (const t of data.tenants) tokens.set(`${t.organizationId}/${t.userId}`, await sign(t.userId, t.organizationId, 'OWNER'));
    for (const u of data.big.userIds) tokens.set(`${data.big.organizationId}/${u}`, await sign(u, data.big.organizationId, 'MEMBER'));
    log(`${tokens.size} tokens signed`);
  }

  // Runtimes: this API as deployed on Node 20; the peer (PostGraphile 5 needs Node >= 22) and the
  // API's second run on the `node@22` package's binary.
  const needs22 = candidateNames.some((c) => c === 'postgraphile' || c === 'api-node22');
  if (needs22) ensurePeerInstalled();
  const node20 = findNode(20);
  const node22 = findNode(22);
  const apiNode = node20 ?? { path: process.execPath, version: process.version };
  if (!node20) log(`no Node 20 found: the API runs on this process's ${process.version}`);
  if (!node22 && needs22) throw new Error('PostGraphile and api-node22 need Node 22: `npm ci` in bench/peer installs it (bench/peer/node_modules/node/bin/node)');
  log(`runtimes: API ${apiNode.version} (${apiNode.path})${node22 ? `, Node 22 ${node22.version} (${node22.path})` : ''}`);

  const common = { DATABASE_URL: url, JWT_SECRET: jwtSecret, JWT_ISSUER: config.jwt.issuer, JWT_AUDIENCE: config.jwt.audience, DB_POOL_MAX: String(settings.poolSize) };

  // Token verification's CPU cost on each runtime in use, measured before any candidate runs (a quiet machine).
  const tokenCosts = new Map<string, TokenCost>();
  if (data) {
    const binaries = [apiNode, ...(needs22 && node22 ? [node22] : [])];
    for (const n of binaries) {
      const cost = await measureTokenCost(n.path, [...tokens.values()], common, settings.verifyIterations, settings.connections);
      tokenCosts.set(n.version, cost);
      log(
        `token verification on ${cost.runtime}: API ${cost.apiCpuUs.toFixed(1)} µs CPU (${cost.apiCpuUsSequential.toFixed(1)} one at a time),` +
          ` ceiling/peer ${cost.benchCpuUs.toFixed(1)} µs (${cost.benchCpuUsSequential.toFixed(1)}); ${cost.iterations} verifications, ${cost.concurrency} in flight, median of 5 blocks`,
      );
    }
  }

  const withPeer = candidateNames.includes('postgraphile');
  if (withPeer) {
    // PostGraphile inserts only the columns the mutation gives. The API and the ceiling always
    // give id, organization and author; for the peer these bench-only defaults fill them from the
    // same transaction-local settings RLS reads (pgSettings), so its createDocument input is
    // just { title, body } and the tenant still comes only from the verified token.
    await withClient(url, (c) =>
      c.query(`alter table document
        alter column id set default gen_random_uuid(),
        alter column organization_id set default nullif(current_setting('app.organization_id', true), '')::uuid,
        alter column created_by_id set default nullif(current_setting('app.user_id', true), '')::uuid`),
    );
    // The peer's audit parity (issue 13): the same audit insert and role check as the API's, through
    // a trigger and a database function acting only under the peer's own setting (bench/peer-audit.ts).
    await withClient(url, installPeerAudit);
  }

  const apiEnv = { ...common, NODE_ENV: 'production', RATE_LIMIT_ENABLED: 'false', SEED_DEMO_DATA: 'false', LOG_LEVEL: settings.apiLogLevel };
  const apiLabel = 'tenantql API (as deployed: npm run build, then start:prod\'s node flags and dist/main.js; RLS + filter + audit)';
  // The API runs as production does: compiled once (`npm run build`), then plain JavaScript.
  if (candidateNames.some((c) => c.startsWith('api'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  const logDir = outDir;
  // The API's Node flags: start:prod's (as deployed), then --api-node-flags (experiments).
  const apiFlags = [...startProdNodeFlags(), ...(args['api-node-flags'] ?? '').split(/\s+/).filter(Boolean)];
  const profileFlags = (name: string) => [...apiFlags, ...(args['api-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(outDir, 'profile', name)}`] : [])];
  const starters: Record<CandidateName, () => Promise<Candidate>> = {
    ceiling: () => startCandidate('ceiling', 'ceiling: node:http + pg + jose (owner, tenant predicate in SQL)', 'bench/ceiling.ts', common, { node: apiNode, logDir }),
    api: () =>
      startCandidate('api', apiLabel, 'dist/main.js', apiEnv, {
        node: apiNode,
        logDir,
        nodeFlags: profileFlags('api'),
      }),
    'api-hybrid': () =>
      startCandidate(
        'api-hybrid',
        `${apiLabel}, hybrid: every other organization on a dedicated placement (a second database, same server; a pool of ${settings.hybridPoolSize} per placement)`,
        'dist/main.js',
        { ...apiEnv, DATABASE_URL: hybrid!.sharedUrl, PLACEMENT_DEDICATED_URL: hybrid!.dedicatedUrl, DB_POOL_MAX: String(settings.hybridPoolSize) },
        { node: apiNode, logDir, databases: hybrid!.databases, nodeFlags: profileFlags('api-hybrid') },
      ),
    'api-node22': () => startCandidate('api-node22', apiLabel, 'dist/main.js', apiEnv, { node: node22!, logDir, nodeFlags: apiFlags }),
    postgraphile: () =>
      startCandidate('postgraphile', 'PostGraphile 5 (pgSettings -> the same RLS; membership checked; same audit insert and role check through a trigger / database function, bench only)', 'bench/peer/postgraphile.ts',
        { ...common, PEER_SCHEMA_OUT: resolve(outDir, 'postgraphile.schema.graphql') }, { node: node22!, logDir, dialect: 'postgraphile' }),
  };
  // Started together (each waits for its own /healthz), kept in the fixed order above.
  const candidates = await Promise.all(ALL_CANDIDATES.filter((c) => candidateNames.includes(c)).map((c) => starters[c]()));
  log(`started: ${candidates.map((c) => `${c.name} (${c.runtime})`).join(', ')}`);
  const labels = Object.fromEntries(candidates.map((c) => [c.name, c.label]));
  const runtimes = Object.fromEntries(candidates.map((c) => [c.name, c.runtime]));
  const queryLabels = Object.fromEntries(queryNames.map((q) => [q, QUERIES[q].label]));

  // ------------------------------------------------------------------------------------------
  // The main comparison: closed-loop rounds, then the fixed-rate runs.
  const runs: RunResult[] = [];
  const fixedRuns: FixedRateRun[] = [];
  const rssAfterRound: Record<string, (number | null)[]> = Object.fromEntries(candidates.map((c) => [c.name, []]));
  const peakRss: Record<string, number | null> = {};
  let rates: Partial<Record<QueryName, number>> = {};
  if (data) {
    // PostGraphile's cursor for the deep page's anchor row: its own encoding, found once by offset
    // (the timed request is then `first: 20, after: <cursor>`, a keyset page like the others).
    let peerDeepCursor: string | null = null;
    const peer = candidates.find((c) => c.name === 'postgraphile');
    if (peer && queryNames.includes('deep')) {
      const bigUser = data.big.userIds[0]!;
      const { status, json } = await post(peer.url, {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(`${data.big.organizationId}/${bigUser}`)!}` },
        body: JSON.stringify({ query: `query Anchor($offset: Int) { allDocuments(first: 1, offset: $offset, ${PEER_ORDER}) { edges { cursor node { rowId } } } }`, variables: { offset: data.big.deepOffset } }),
      });
      const edge = (json.data?.allDocuments as { edges?: { cursor: string; node: { rowId: string } }[] } | undefined)?.edges?.[0];
      const [, anchorId] = JSON.parse(Buffer.from(data.big.deepCursor, 'base64url').toString('utf8')) as [string, string];
      if (status !== 200 || !edge || edge.node.rowId !== anchorId) throw new Error(`could not find PostGraphile's deep cursor: HTTP ${status} ${JSON.stringify(json).slice(0, 300)}`);
      peerDeepCursor = edge.cursor;
    }
    if (peer && data.tenants.length >= 2) {
      // Isolation probe: the peer must not return another organization's document (RLS via pgSettings).
      const [a, b] = [data.tenants[0]!, data.tenants[1]!];
      const { status, json } = await post(peer.url, {
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(`${a.organizationId}/${a.userId}`)!}` },
        body: body('postgraphile', 'get', { id: b.documentId }),
      });
      const payload = json.data?.readDocument as { result?: unknown } | null | undefined;
      if (status !== 200 || json.errors?.length || payload?.result !== null) throw new Error(`PostGraphile isolation probe failed: HTTP ${status} ${JSON.stringify(json).slice(0, 300)}`);
    }
    const requests: Record<Dialect, Requests> = {
      tenantql: prepareRequests('tenantql', data, tokens, null),
      postgraphile: prepareRequests('postgraphile', data, tokens, peerDeepCursor),
    };

    // Audit events are counted where each candidate writes them: api-hybrid's on the database of
    // the requesting organization's placement, every other candidate's on the benchmark database.
    const moved = new Set(hybrid?.movedOrganizationIds ?? []);
    const audit: AuditCheck = {
      count: (c, organizationId, action) => {
        const where = c.name !== 'api-hybrid' ? url : moved.has(organizationId) ? hybrid!.dedicatedUrl : hybrid!.sharedUrl;
        return withClient(where, async (client) => {
          const { rows } = await client.query<AuditCount>(
            'select count(*)::int as total, (count(*) filter (where action = $2))::int as action from activity_event where organization_id = $1',
            [organizationId, action],
          );
          return rows[0]!;
        });
      },
      // get and create send one request per seeded tenant, in order (prepareRequests).
      organizationOf: (_q, i) => data.tenants[i]!.organizationId,
    };
    const problems = await correctnessGate(candidates, requests, queryNames, settings.gateSample, audit);
    if (problems.length > 0) {
      console.error(`correctness gate FAILED:\n${problems.join('\n')}`);
      await writeFile(resolve(outDir, 'gate-failure.txt'), problems.join('\n') + '\n');
      stats?.end().catch(() => undefined);
      return 1;
    }
    log('correctness gate passed');
    // api-hybrid's copies get the documents the others' createDocument wrote (bench/hybrid.ts), so every candidate reads the same rows.
    const syncHybrid = async (after: string) => {
      if (hybrid) log(`${after}: ${await syncCreatedDocuments(url, hybrid)} created documents copied to api-hybrid's databases (its own replaced)`);
    };
    await syncHybrid('after the gate');

    for (let round = 1; round <= settings.rounds; round++) {
      for (const q of queryNames) {
        // Interleaved, and the order alternates by round so neither candidate always goes first.
        const order = round % 2 ? candidates : [...candidates].reverse();
        for (const c of order) {
          const r = await measure(round, c, q, requests[c.dialect][q], stats, settings);
          runs.push(r);
          log(
            `round ${round} ${q.padEnd(6)} ${c.name.padEnd(8)} ${r.rps.toFixed(0).padStart(6)} req/s p50 ${r.p50} ms p99 ${r.p99} ms` +
              ` sql/req ${r.statementsPerRequest?.toFixed(2) ?? 'n/a'} cpu/req ${r.cpuMsPerRequest?.toFixed(2) ?? 'n/a'} + db ${r.dbCpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms rss ${r.rssMbAfter?.toFixed(0) ?? 'n/a'} MB${r.valid ? '' : ` INVALID (${r.sampleBadBody})`}`,
          );
        }
        if (q === 'create') await syncHybrid(`round ${round} createDocument`);
      }
      for (const c of candidates) rssAfterRound[c.name]!.push(rssMb(c.process.pid));
      log(`round ${round} RSS: ${candidates.map((c) => `${c.name} ${rssAfterRound[c.name]!.at(-1)?.toFixed(0) ?? 'n/a'} MB`).join(', ')}`);
    }
    await stats?.end();
    stats = null;

    // Latency at a fixed rate every candidate sustains (open loop: see bench/load.ts), in rounds
    // of its own after the closed-loop ones (the rate comes from their medians).
    rates = fixedRates(runs, queryNames, settings);
    const timing = { warmupSeconds: settings.rateWarmupSeconds, seconds: settings.rateSeconds, connections: settings.connections };
    for (let round = 1; round <= settings.rounds; round++) {
      for (const [qi, q] of queryNames.entries()) {
        const order = (round + qi) % 2 ? candidates : [...candidates].reverse();
        for (const c of order) {
          const r = await measureFixedRate(round, c, q, requests[c.dialect][q], rates[q]!, timing);
          fixedRuns.push(r);
          log(
            `fixed round ${round} ${q.padEnd(6)} ${c.name.padEnd(8)} at ${r.rate} req/s: p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms` +
              `${r.sustained ? '' : ` (only ${r.achievedRps.toFixed(0)} req/s)`}${r.valid ? '' : ` INVALID (${r.sampleBadBody})`}`,
          );
        }
        if (q === 'create') await syncHybrid(`fixed round ${round} createDocument`);
      }
    }
    for (const c of candidates) peakRss[c.name] = peakRssMb(c.process.pid);
  }
  await stats?.end();

  // ------------------------------------------------------------------------------------------
  // The scale series: the ceiling and the API (Node 20) on ever larger data, at one fixed rate.
  let scaleResult: ScaleResult | null = null;
  if (withScale) {
    const scaleCandidates = candidates.filter((c) => c.name === 'ceiling' || c.name === 'api');
    for (const c of candidates) if (!scaleCandidates.includes(c)) await stopProcess(c.process);
    if (!scaleCandidates.some((c) => c.name === 'api')) log('the scale series without the API (not in --candidates): ceiling only');
    const mainRate = rates.list;
    scaleResult = await runScaleSeries({
      url,
      candidates: scaleCandidates,
      series: smoke ? SMOKE_SERIES : FULL_SERIES,
      settings,
      rate: settings.rate ?? mainRate ?? null,
      rateSource: settings.rate !== null ? '--rate' : mainRate ? "the main run's fixed rate for documents(first: 20)" : '',
      sign,
      log,
    });
    log(`scale series: ${scaleResult.seconds.toFixed(0)} s`);
    if (scaleResult.gateProblems.length) console.error(`scale series correctness gate FAILED:\n${scaleResult.gateProblems.join('\n')}`);
  }

  // ------------------------------------------------------------------------------------------
  // Results
  const summary = summarise(runs, fixedRuns, candidates.map((c) => c.name), queryNames);
  const perCandidate = data ? candidateRows(candidates, rssAfterRound, peakRss, tokenCosts, summary) : [];
  const hybridRows = compareHybrid(summary, runs);
  const hybridList = hybridRows.find((r) => r.met !== null);
  const hybridVerdict = hybridList
    ? `hybrid case: ${QUERIES[hybridList.query].label} at ${hybridList.ratio.toFixed(3)}x the single database's requests/s (${hybridList.hybridRps.toFixed(0)} vs ${hybridList.singleRps.toFixed(0)}, medians of ${settings.rounds} round(s); per round ${hybridList.roundRatios.map((x) => x.toFixed(3)).join(', ')}): target >= ${HYBRID_TARGET} ${hybridList.met ? 'met' : 'MISSED'}`
    : null;
  const meta = {
    date: new Date().toISOString(),
    smoke,
    /** The orchestrator's (load generator's) runtime; each candidate's is in `runtimes`. */
    node: process.version,
    runtimes,
    /** The Node flags every API candidate ran with: start:prod's, then --api-node-flags (none in a comparable run). */
    apiNodeFlags: [...startProdNodeFlags(), ...(args['api-node-flags'] ?? '').split(/\s+/).filter(Boolean)],
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    database: source,
    postgres: await serverVersion(url),
    scale: scaleOnly ? null : scale,
    settings,
    loadGenerator:
      'closed loop: autocannon (each connection sends its next request when the previous answer arrives); fixed rate: an open-loop paced generator (bench/load.ts: requests sent at even intervals whatever the answers, latency from send to the end of the body, sub-ms resolution); both in the orchestrating process, each candidate its own process',
    statementsSource: runs.some((r) => r.statementsPerRequest !== null)
      ? 'pg_stat_statements: statements the candidate sent to the benchmark database (incl. BEGIN/COMMIT/SET, not the foreign-key checks PostgreSQL runs at COMMIT) during the timed part of a run / requests completed'
      : 'unavailable',
    cpuSource: "the candidate process's utime+stime from /proc during the timed part of a closed-loop run / requests completed (server process only, not PostgreSQL)",
    rssSource: 'VmRSS of the candidate process after its last timed run of a round; peak = VmHWM after the fixed-rate runs',
    tokenSource:
      `CPU µs per verification (process.cpuUsage, bench/token-cost.ts) on each candidate's runtime with its own verifier (the API: src/auth/authenticate.ts; the ceiling and the peer: bench/candidate.ts), over this run's tokens, ${settings.connections} in flight (one at a time: tokenCosts in results.json), divided by the candidate's server CPU per request (closed loop)`,
    fixedRates: rates,
    fixedRateRule: settings.rate !== null ? `--rate ${settings.rate}` : `${Math.round(settings.rateFraction * 100)}% of the slowest candidate's closed-loop median requests/s on each query`,
  };

  const invalid = [...runs, ...fixedRuns, ...(scaleResult?.datasets.flatMap((d) => d.runs) ?? [])].some((r) => !r.valid);
  const title = `tenantql benchmark${smoke ? ' (smoke)' : ''}: ${scale.organizations} orgs x ${scale.documentsPerOrganization} docs, ${settings.connections} connections, ${settings.rounds} x ${settings.durationSeconds}s`;
  const tokenCostList = [...tokenCosts.values()];
  const header = `${meta.date}, load generator on Node ${meta.node} (each candidate's runtime is in its label), PostgreSQL ${meta.postgres}, ${meta.cpus} CPUs (${meta.cpuModel}); server, database and load generator share them.\n\n`;
  const scaleSection = scaleResult
    ? `## Scale series: documents(first: 20) at ${scaleResult.rate} requests/s\n\n${scaleTable(scaleResult)}\n\n` +
      `One fixed rate for every dataset (${scaleResult.rateSource}); ${scaleResult.runSeconds} s timed after a ${scaleResult.warmupSeconds} s warm-up per candidate, ${settings.connections} connections at most. ` +
      `Each dataset is loaded into the emptied tables (TRUNCATE, one INSERT ... SELECT generate_series per table, then VACUUM ANALYZE and CHECKPOINT); the candidates keep running, the correctness gate runs again on each${settings.scalePrime ? ', and every token is sent once to each candidate before timing' : ''}. ` +
      'p50 ratio: to the same candidate\'s p50 on the first dataset (random small organizations); for the large organization, to a small organization\'s p50 in the same dataset.' +
      (scaleResult.gateProblems.length ? '\n\n**The correctness gate failed during the scale series: see results.json.**' : '') +
      '\n'
    : '';
  const hybridJson = hybrid
    ? {
        placement: DEDICATED_PLACEMENT,
        organizationsMoved: hybrid.moved,
        requestingOrganizations: data?.tenants.length ?? 0,
        databases: hybrid.databases,
        preparedSeconds: hybrid.seconds,
        target: `${HYBRID_TARGET_QUERY} requests/s of api-hybrid >= ${HYBRID_TARGET} x api's (closed loop, medians, same run)`,
        comparison: hybridRows,
      }
    : null;
  const hybridSection = hybridRows.length
    ? `## Hybrid deployment: api-hybrid against api

${hybridTable(hybridRows, queryLabels)}

` +
      `**${hybridVerdict}.** \`api-hybrid\` is the same build, runtime and settings as \`api\`, started with \`PLACEMENT_${DEDICATED_PLACEMENT.toUpperCase()}_URL\`: ` +
      `${hybridJson!.organizationsMoved} of the ${hybridJson!.requestingOrganizations} requesting organizations (every other one) live on that dedicated placement, a second database on the same PostgreSQL server; ` +
      `the others, the large organization of the deep page, the directory, every user and the membership index stay in its shared database. Both are copies of the seeded database (CREATE DATABASE ... TEMPLATE, then pruned: bench/hybrid.ts), so every candidate answers from the same rows, and the correctness gate compares its answers with the ceiling's like the others'. ` +
      `Each placement has its own pool of ${settings.hybridPoolSize} (DB_POOL_MAX${settings.hybridPoolSize === settings.poolSize ? ', as api' : `, --hybrid-pool; api: ${settings.poolSize}`}), so api-hybrid may hold ${2 * settings.hybridPoolSize} connections to api's ${settings.poolSize}. Ratio per round: the two run back to back in every round. SQL statements / request count both of its databases.

`
    : '';
  const json = { meta, labels, queries: QUERIES, summary, candidates: perCandidate, tokenCosts: tokenCostList, hybrid: hybridJson, runs, fixedRuns, scale: scaleResult };

  if (scaleOnly) {
    await writeFile(resolve(outDir, 'scale.json'), JSON.stringify(json, null, 2) + '\n');
    await writeFile(resolve(outDir, 'scale.md'), `# tenantql scale series${smoke ? ' (smoke)' : ''}\n\n${header}${scaleSection}`);
    if (scaleResult) console.log('\n' + scaleTable(scaleResult) + '\n');
  } else {
    await writeFile(resolve(outDir, 'results.json'), JSON.stringify(json, null, 2) + '\n');
    await writeFile(
      resolve(outDir, 'results.md'),
      `# ${title}\n\n${header}` +
        `## Throughput and latency\n\n${markdownTable(summary, labels, queryLabels)}\n\n` +
        `**Closed loop**: ${settings.connections} connections each sending its next request as soon as the previous answer arrives (autocannon): the most requests/s, and the latency *at saturation*; medians of ${settings.rounds} interleaved round(s) of ${settings.durationSeconds} s after a ${settings.warmupSeconds} s warm-up each. ` +
        `**Fixed rate**: requests sent at even intervals whatever the answers (open loop, ${meta.fixedRateRule}): the latency a client sees at a load every candidate sustains; medians of ${settings.rounds} more interleaved round(s) of ${settings.rateSeconds} s (after a ${settings.rateWarmupSeconds} s warm-up) following the closed-loop ones. ` +
        `Pool size ${settings.poolSize} for every candidate${candidateNames.includes('api-hybrid') ? ` (api-hybrid: ${settings.hybridPoolSize} per placement, two placements)` : ''}; API LOG_LEVEL=${settings.apiLogLevel}.\n` +
        `SQL statements/request: ${meta.statementsSource}. Server CPU: ${meta.cpuSource}.\n\n` +
        hybridSection +
        `## Memory and token verification\n\n${candidateTable(perCandidate, runtimes, settings.rounds, queryLabels)}\n\n` +
        `RSS: ${meta.rssSource}. Token verification: ${meta.tokenSource}. Targets apply to this API's rows.\n\n` +
        scaleSection +
        (withPeer ? `\n## About the peer\n\n${PEER_NOTES}\n` : '') +
        (invalid ? '\n**Some runs were invalid (non-200 or `errors`): see results.json.**\n' : ''),
    );
    await writeFile(resolve(outDir, 'results.svg'), barChart(summary, candidates.map((c) => c.name), labels, queryLabels, title));
    console.log('\n' + markdownTable(summary, labels, queryLabels) + '\n\n' + candidateTable(perCandidate, runtimes, settings.rounds, queryLabels) + '\n');
    if (hybridRows.length) console.log(hybridTable(hybridRows, queryLabels) + '\n\n' + hybridVerdict + '\n');
    if (scaleResult) console.log(scaleTable(scaleResult) + '\n');
  }
  log(`results in ${outDir}`);
  if (scaleResult?.gateProblems.length) return 1;
  return invalid ? 2 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(err);
} finally {
  await stopAllCandidates();
  await stopDatabase();
}
if (existsSync(outDir)) console.log(`exit ${code}`);
process.exit(code);
