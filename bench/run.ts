import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { issueToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config/index.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { connectOrm } from '../src/db/orm.js';
import { barChart, markdownTable, type SummaryRow } from './report.js';
import { seed, type Scale, type SeededData } from './seed.js';

// `npm run bench` (see bench/README.md). Seeds a database, starts each candidate as its own
// process on loopback, checks they answer alike, then drives them with autocannon in
// interleaved rounds and writes JSON, Markdown and SVG under bench/results/.

const ROOT = resolve(import.meta.dirname, '..');

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
    queries: { type: 'string' },
    'api-log-level': { type: 'string' },
    /** Writes a V8 CPU profile of the API process into <out>/profile (slows it: not for a timed run). */
    'api-cpu-prof': { type: 'boolean', default: false },
  },
});
const smoke = args.smoke!;
const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));

const scale: Scale = smoke
  ? { organizations: num(args.organizations, 3), documentsPerOrganization: num(args.documents, 20), bigOrganizationDocuments: 200, bigOrganizationMembers: 3 }
  : { organizations: num(args.organizations, 1000), documentsPerOrganization: num(args.documents, 100), bigOrganizationDocuments: 20_000, bigOrganizationMembers: 50 };
const settings = {
  connections: num(args.connections, smoke ? 2 : 16),
  durationSeconds: num(args.duration, smoke ? 1 : 5),
  warmupSeconds: num(args.warmup, smoke ? 0.5 : 2),
  rounds: num(args.rounds, smoke ? 1 : 3),
  poolSize: num(args.pool, 10),
  apiLogLevel: args['api-log-level'] ?? 'warn',
  gateSample: smoke ? 3 : 20,
};
const outDir = resolve(ROOT, args.out ?? (smoke ? 'bench/results/smoke' : 'bench/results'));

// ---------------------------------------------------------------------------------------------
// Queries: the same GraphQL body goes to every candidate; the ceiling dispatches on operationName.

const PAGE = 'edges { cursor node { id title createdBy { id name } } } pageInfo { hasNextPage endCursor }';
const QUERIES = {
  list: { label: 'documents(first: 20)', operationName: 'List', query: `query List($first: Int) { documents(first: $first) { ${PAGE} } }` },
  deep: { label: 'deep keyset page', operationName: 'Deep', query: `query Deep($first: Int, $after: String) { documents(first: $first, after: $after) { ${PAGE} } }` },
  get: { label: 'document(id)', operationName: 'Get', query: 'query Get($id: ID!) { document(id: $id) { id title createdBy { id name } } }' },
  create: {
    label: 'createDocument',
    operationName: 'Create',
    query: 'mutation Create($input: CreateDocumentInput!) { createDocument(input: $input) { id title createdBy { id name } } }',
  },
} as const;
type QueryName = keyof typeof QUERIES;
const queryNames = (args.queries?.split(',') ?? Object.keys(QUERIES)) as QueryName[];
for (const q of queryNames) if (!(q in QUERIES)) throw new Error(`unknown query ${q}; known: ${Object.keys(QUERIES).join(', ')}`);

interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

function body(q: QueryName, variables: Record<string, unknown>): string {
  const { operationName, query } = QUERIES[q];
  return JSON.stringify({ operationName, query, variables });
}

/** Every request body each query may send, one per token: built once, so the load generator only picks. */
function prepareRequests(data: SeededData, tokens: Map<string, string>): Record<QueryName, PreparedRequest[]> {
  const headers = (userId: string, organizationId: string) => ({
    'content-type': 'application/json',
    authorization: `Bearer ${tokens.get(`${organizationId}/${userId}`)!}`,
  });
  return {
    list: data.tenants.map((t) => ({ headers: headers(t.userId, t.organizationId), body: body('list', { first: 20 }) })),
    deep: data.big.userIds.map((u) => ({ headers: headers(u, data.big.organizationId), body: body('deep', { first: 20, after: data.big.deepCursor }) })),
    get: data.tenants.map((t) => ({ headers: headers(t.userId, t.organizationId), body: body('get', { id: t.documentId }) })),
    create: data.tenants.map((t) => ({
      headers: headers(t.userId, t.organizationId),
      body: body('create', { input: { title: 'Benchmark document', body: 'Written by the benchmark.' } }),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

const children: ChildProcess[] = [];
let embedded: EmbeddedDatabase | undefined;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createNetServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

interface Candidate {
  name: string;
  label: string;
  url: string;
  process: ChildProcess;
}

async function startCandidate(name: string, label: string, script: string, env: Record<string, string>, nodeFlags: string[] = []): Promise<Candidate> {
  const port = await freePort();
  const log = createWriteStream(resolve(outDir, `${name}.log`));
  // `node --import tsx` rather than the tsx CLI: one process, so its pid is the server's (CPU, RSS).
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} during start-up: see ${name}.log`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${name} did not become healthy within 90 s: see ${name}.log`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name, label, url, process: child };
}

/** A candidate that died mid-run (or was killed from outside) fails the run with a clear cause, not thousands of socket errors. */
function assertAlive(c: Candidate): void {
  const { exitCode, signalCode } = c.process;
  if (exitCode !== null || signalCode !== null) throw new Error(`${c.name} (pid ${c.process.pid}) is gone: exit code ${exitCode}, signal ${signalCode}; see ${c.name}.log`);
}

async function stopAll(): Promise<void> {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await embedded?.stop().catch(() => undefined);
}

/** utime + stime of a process, in ms (Linux /proc; null elsewhere). */
function cpuMs(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // CLK_TCK = 100 on Linux
  } catch {
    return null;
  }
}

function rssMb(pid: number | undefined): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Correctness gate

interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

async function post(url: string, req: PreparedRequest): Promise<{ status: number; json: GraphQLResponse }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: req.headers, body: req.body });
  return { status: res.status, json: (await res.json()) as GraphQLResponse };
}

/** createDocument answers a fresh id each time: compare everything but the id, and check it is a uuid. */
function normalise(q: QueryName, json: GraphQLResponse): unknown {
  if (q !== 'create') return json.data;
  const doc = (json.data?.createDocument ?? null) as { id?: string } | null;
  return doc ? { ...doc, id: /^[0-9a-f-]{36}$/.test(doc.id ?? '') ? '<uuid>' : doc.id } : doc;
}

async function correctnessGate(candidates: Candidate[], requests: Record<QueryName, PreparedRequest[]>): Promise<string[]> {
  const problems: string[] = [];
  for (const q of queryNames) {
    const pool = requests[q];
    const sample = pool.slice(0, Math.min(settings.gateSample, pool.length));
    for (const [i, req] of sample.entries()) {
      const answers: { name: string; data: unknown }[] = [];
      for (const c of candidates) {
        const { status, json } = await post(c.url, req);
        if (status !== 200 || json.errors?.length) problems.push(`${c.name} ${q} #${i}: HTTP ${status} ${JSON.stringify(json).slice(0, 300)}`);
        answers.push({ name: c.name, data: normalise(q, json) });
      }
      const reference = JSON.stringify(answers[0]!.data);
      for (const a of answers.slice(1)) {
        if (JSON.stringify(a.data) !== reference) {
          problems.push(`${q} #${i}: ${a.name} differs from ${answers[0]!.name}:\n  ${answers[0]!.name}: ${reference.slice(0, 400)}\n  ${a.name}: ${JSON.stringify(a.data).slice(0, 400)}`);
        }
      }
      const data = answers[0]!.data as Record<string, { edges?: unknown[] } | null> | null;
      if ((q === 'list' || q === 'deep') && !(data?.documents?.edges?.length === 20)) problems.push(`${q} #${i}: expected 20 edges`);
      if (q === 'get' && !data?.document) problems.push(`get #${i}: expected a document`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Load

interface RunResult {
  round: number;
  candidate: string;
  query: QueryName;
  requests: number;
  durationSeconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errorBodies: number;
  socketErrors: number;
  timeouts: number;
  sampleBadBody: string | null;
  statements: number | null;
  statementsPerRequest: number | null;
  cpuMsPerRequest: number | null;
  rssMbAfter: number | null;
  valid: boolean;
}

async function drive(c: Candidate, pool: PreparedRequest[], seconds: number) {
  let errorBodies = 0;
  let sampleBadBody: string | null = null;
  const result = await autocannon({
    url: `${c.url}/graphql`,
    method: 'POST',
    connections: settings.connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          const r = pool[Math.floor(Math.random() * pool.length)]!;
          return { ...request, method: 'POST', headers: r.headers, body: r.body };
        },
        // Every body is looked at (a cheap substring test), not only the status.
        onResponse: (status, responseBody) => {
          if (status !== 200 || responseBody.includes('"errors"')) {
            errorBodies += 1;
            sampleBadBody ??= `HTTP ${status} ${responseBody.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  return { result, errorBodies, sampleBadBody: sampleBadBody as string | null };
}

async function statementCount(stats: pg.Client | null): Promise<number | null> {
  if (!stats) return null;
  const { rows } = await stats.query<{ n: string }>(
    `select coalesce(sum(calls), 0)::bigint as n from pg_stat_statements s join pg_database d on d.oid = s.dbid
      where d.datname = current_database() and s.query not ilike '%pg_stat_statements%'
        -- foreign-key checks PostgreSQL runs itself at COMMIT (deferred constraints) show up as top-level statements: not sent by the candidate
        and s.query not like 'SELECT 1 FROM ONLY %FOR KEY SHARE OF x'`,
  );
  return Number(rows[0]!.n);
}

async function measure(round: number, c: Candidate, q: QueryName, pool: PreparedRequest[], stats: pg.Client | null): Promise<RunResult> {
  assertAlive(c);
  await drive(c, pool, settings.warmupSeconds); // warm-up, discarded
  if (stats) await stats.query('select pg_stat_statements_reset()');
  const cpuBefore = cpuMs(c.process.pid);
  const { result, errorBodies, sampleBadBody } = await drive(c, pool, settings.durationSeconds);
  const cpuAfter = cpuMs(c.process.pid);
  const statements = await statementCount(stats);
  assertAlive(c);
  const requests = result.requests.total;
  const bad = result.non2xx + errorBodies + result.errors + result.timeouts;
  return {
    round,
    candidate: c.name,
    query: q,
    requests,
    durationSeconds: result.duration,
    rps: requests / result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errorBodies,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    sampleBadBody,
    statements,
    statementsPerRequest: statements === null || requests === 0 ? null : statements / requests,
    cpuMsPerRequest: cpuBefore === null || cpuAfter === null || requests === 0 ? null : (cpuAfter - cpuBefore) / requests,
    rssMbAfter: rssMb(c.process.pid),
    valid: bad === 0 && requests > 0,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function summarise(runs: RunResult[], candidates: string[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const q of queryNames) {
    const ceiling = runs.filter((r) => r.query === q && r.candidate === 'ceiling');
    const ceilingRps = ceiling.length ? median(ceiling.map((r) => r.rps)) : null;
    for (const c of candidates) {
      const rs = runs.filter((r) => r.query === q && r.candidate === c);
      if (rs.length === 0) continue;
      const rps = median(rs.map((r) => r.rps));
      const spr = rs.map((r) => r.statementsPerRequest).filter((v): v is number => v !== null);
      const cpu = rs.map((r) => r.cpuMsPerRequest).filter((v): v is number => v !== null);
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
        statementsPerRequest: spr.length ? median(spr) : null,
        cpuMsPerRequest: cpu.length ? median(cpu) : null,
        maxRssMb: rss.length ? Math.max(...rss) : null,
        ratioToCeiling: ceilingRps ? rps / ceilingRps : null,
        valid: rs.every((r) => r.valid),
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

async function openDatabase(): Promise<{ url: string; source: string }> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) {
    // An external server: migrate, then empty the benchmark's tables (this database is the benchmark's own).
    return { url: given, source: 'BENCH_DATABASE_URL' };
  }
  embedded = await startEmbeddedPostgres({
    dataDir: resolve(ROOT, '.data/bench'),
    port: await freePort(),
    database: 'postgres',
    postgresFlags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'max_connections=200'],
  });
  const admin = new pg.Client({ connectionString: embedded.adminUrl });
  await admin.connect();
  try {
    // A fresh database each run, so earlier runs' writes (createDocument, audit) do not accumulate.
    await admin.query('drop database if exists tenantql_bench with (force)');
    await admin.query('create database tenantql_bench');
  } finally {
    await admin.end();
  }
  return { url: embedded.adminUrl.replace(/\/postgres$/, '/tenantql_bench'), source: 'embedded PostgreSQL (.data/bench)' };
}

async function main(): Promise<number> {
  const started = Date.now();
  await mkdir(outDir, { recursive: true });
  const log = (m: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}`);

  const { url, source } = await openDatabase();
  log(`database: ${source}`);
  const owner = await connectOrm({ clientUrl: url, mode: 'multi_tenant', poolMax: 2 });
  try {
    await owner.getMigrator().up();
  } finally {
    await owner.close();
  }
  if (process.env.BENCH_DATABASE_URL) {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('truncate activity_event, document, membership, "user", organization cascade');
    await c.end();
  }

  // pg_stat_statements, when the server loaded it: SQL statements per request.
  let stats: pg.Client | null = new pg.Client({ connectionString: url });
  await stats.connect();
  try {
    await stats.query('create extension if not exists pg_stat_statements');
    await stats.query('select pg_stat_statements_reset()');
  } catch (err) {
    log(`pg_stat_statements unavailable (${(err as Error).message}): statements per request will read n/a`);
    await stats.end();
    stats = null;
  }

  const t0 = Date.now();
  const data = await seed(url, scale);
  log(`seeded ${scale.organizations} organizations x ${scale.documentsPerOrganization} documents + 1 organization with ${scale.bigOrganizationDocuments} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  // Tokens: signed once, before timing, with the API's own issueToken and configuration.
  const jwtSecret = randomBytes(48).toString('base64url');
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: jwtSecret, DATABASE_URL: url, JWT_TTL_SECONDS: String(24 * 3600) });
  const tokens = new Map<string, string>();
  const sign = async (userId: string, organizationId: string, role: 'OWNER' | 'MEMBER') =>
    tokens.set(`${organizationId}/${userId}`, (await issueToken(config.jwt, { userId, organizationId, role })).accessToken);
  for (const t of data.tenants) await sign(t.userId, t.organizationId, 'OWNER');
  for (const u of data.big.userIds) await sign(u, data.big.organizationId, 'MEMBER');
  const requests = prepareRequests(data, tokens);
  log(`${tokens.size} tokens signed`);

  const common = { DATABASE_URL: url, JWT_SECRET: jwtSecret, JWT_ISSUER: config.jwt.issuer, JWT_AUDIENCE: config.jwt.audience, DB_POOL_MAX: String(settings.poolSize) };
  const candidates: Candidate[] = [];
  candidates.push(await startCandidate('ceiling', 'ceiling: node:http + pg + jose (owner, tenant predicate in SQL)', 'bench/ceiling.ts', common));
  log('ceiling started');
  candidates.push(
    await startCandidate('api', 'tenantql API (as deployed: RLS + filter + audit)', 'src/main.ts', {
      ...common,
      NODE_ENV: 'production',
      RATE_LIMIT_ENABLED: 'false',
      SEED_DEMO_DATA: 'false',
      LOG_LEVEL: settings.apiLogLevel,
    }, args['api-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(outDir, 'profile')}`] : []),
  );
  log('api started');
  const labels = Object.fromEntries(candidates.map((c) => [c.name, c.label]));
  const queryLabels = Object.fromEntries(queryNames.map((q) => [q, QUERIES[q].label]));

  const problems = await correctnessGate(candidates, requests);
  if (problems.length > 0) {
    console.error(`correctness gate FAILED:\n${problems.join('\n')}`);
    await writeFile(resolve(outDir, 'gate-failure.txt'), problems.join('\n') + '\n');
    stats?.end().catch(() => undefined);
    return 1;
  }
  log('correctness gate passed');

  const runs: RunResult[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const q of queryNames) {
      // Interleaved, and the order alternates by round so neither candidate always goes first.
      const order = round % 2 ? candidates : [...candidates].reverse();
      for (const c of order) {
        const r = await measure(round, c, q, requests[q], stats);
        runs.push(r);
        log(
          `round ${round} ${q.padEnd(6)} ${c.name.padEnd(8)} ${r.rps.toFixed(0).padStart(6)} req/s p50 ${r.p50} ms p99 ${r.p99} ms` +
            ` sql/req ${r.statementsPerRequest?.toFixed(2) ?? 'n/a'} cpu/req ${r.cpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms rss ${r.rssMbAfter?.toFixed(0) ?? 'n/a'} MB${r.valid ? '' : ` INVALID (${r.sampleBadBody})`}`,
        );
      }
    }
  }
  await stats?.end();

  const summary = summarise(runs, candidates.map((c) => c.name));
  const meta = {
    date: new Date().toISOString(),
    smoke,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    database: source,
    postgres: undefined as string | undefined,
    scale,
    settings,
    loadGenerator: 'autocannon (closed loop), in the orchestrating process; each candidate is its own process',
    statementsSource:
      stats === null
        ? 'unavailable'
        : 'pg_stat_statements: statements the candidate sent to the benchmark database (incl. BEGIN/COMMIT/SET, not the foreign-key checks PostgreSQL runs at COMMIT) during the timed part of a run / requests completed',
    cpuSource: "the candidate process's utime+stime from /proc during the timed part / requests completed (server process only, not PostgreSQL)",
  };
  const pgVersion = new pg.Client({ connectionString: url });
  await pgVersion.connect();
  meta.postgres = (await pgVersion.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v;
  await pgVersion.end();

  const allValid = runs.every((r) => r.valid);
  const title = `tenantql benchmark${smoke ? ' (smoke)' : ''}: ${scale.organizations} orgs x ${scale.documentsPerOrganization} docs, ${settings.connections} connections, ${settings.rounds} x ${settings.durationSeconds}s`;
  await writeFile(resolve(outDir, 'results.json'), JSON.stringify({ meta, labels, queries: QUERIES, summary, runs }, null, 2) + '\n');
  await writeFile(
    resolve(outDir, 'results.md'),
    `# ${title}\n\n${meta.date}, Node ${meta.node}, PostgreSQL ${meta.postgres}, ${meta.cpus} CPUs (${meta.cpuModel}); server, database and load generator share them.\n\n` +
      `${markdownTable(summary, labels, queryLabels)}\n\n` +
      `Medians of ${settings.rounds} interleaved round(s) of ${settings.durationSeconds} s after a ${settings.warmupSeconds} s warm-up each; pool size ${settings.poolSize} for both; API LOG_LEVEL=${settings.apiLogLevel}.\n` +
      `SQL statements/request: ${meta.statementsSource}. Server CPU: ${meta.cpuSource}.\n` +
      (allValid ? '' : '\n**Some runs were invalid (non-200 or `errors`): see results.json.**\n'),
  );
  await writeFile(resolve(outDir, 'results.svg'), barChart(summary, candidates.map((c) => c.name), labels, queryLabels, title));
  console.log('\n' + markdownTable(summary, labels, queryLabels) + '\n');
  log(`results in ${outDir}`);
  return allValid ? 0 : 2;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(err);
} finally {
  await stopAll();
}
if (existsSync(outDir)) console.log(`exit ${code}`);
process.exit(code);
