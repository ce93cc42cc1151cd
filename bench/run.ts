import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { cpus } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
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
    /** Which candidates to start, comma-separated: ceiling, api, api-node22, postgraphile. */
    candidates: { type: 'string' },
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
const ALL_CANDIDATES = ['ceiling', 'api', 'api-node22', 'postgraphile'] as const;
type CandidateName = (typeof ALL_CANDIDATES)[number];
// The smoke skips the API's second runtime (another ~10 s start for the same code); the peer stays in.
const candidateNames = (args.candidates?.split(',') ?? (smoke ? ['ceiling', 'api', 'postgraphile'] : [...ALL_CANDIDATES])) as CandidateName[];
for (const c of candidateNames) if (!ALL_CANDIDATES.includes(c)) throw new Error(`unknown candidate ${c}; known: ${ALL_CANDIDATES.join(', ')}`);
if (!candidateNames.includes('ceiling')) throw new Error('the ceiling is the reference: keep it in --candidates');
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

// The same four operations in PostGraphile's generated schema (Amber preset: the primary key is
// `rowId`, `id` is its global Node id). The author is reached the way the schema models it:
// document -> membership (composite key) -> user. `condition: { archivedAt: null }` is the API's
// "not archived" (an IS NULL; the peer turns off its indexed-columns-only rule to allow it).
const PEER_AUTHOR = 'membershipByOrganizationIdAndCreatedById { userByUserId { rowId name } }';
const PEER_ORDER = 'orderBy: [CREATED_AT_DESC, ROW_ID_DESC], condition: { archivedAt: null }';
const PEER_PAGE = `edges { cursor node { rowId title ${PEER_AUTHOR} } } pageInfo { hasNextPage endCursor }`;
const PEER_QUERIES: Record<QueryName, string> = {
  list: `query List($first: Int) { allDocuments(first: $first, ${PEER_ORDER}) { ${PEER_PAGE} } }`,
  deep: `query Deep($first: Int, $after: Cursor) { allDocuments(first: $first, after: $after, ${PEER_ORDER}) { ${PEER_PAGE} } }`,
  get: `query Get($id: UUID!) { documentByRowId(rowId: $id) { rowId title ${PEER_AUTHOR} } }`,
  create: `mutation Create($input: CreateDocumentInput!) { createDocument(input: $input) { document { rowId title ${PEER_AUTHOR} } } }`,
};
/** What the results table must say about the peer (bench/README.md has the long form). */
const PEER_NOTES = [
  'PostGraphile 5 (Amber preset, `public` schema) runs on Node 22 (the `node@22` package), this API on Node 20 (`api`) and, as `api-node22`, on the same Node 22 binary: compare `api-node22` with the peer for a like-for-like ratio.',
  "The peer's server verifies the same HS256 token with jose, re-checks membership with one SQL statement per request, and passes `role=tenantql_app`, `app.organization_id` and `app.user_id` as `pgSettings`, so the API's forced RLS policies do the isolation.",
  "Differences that favour the peer: it writes **no audit event** for `document(id)` and `createDocument` (the API and the ceiling insert an `activity_event` row), and it does not check the MEMBER-or-above role on create.",
  "Its createDocument sends only `{ title, body }`; id, organization and author come from bench-only column defaults (`gen_random_uuid()`, `app.organization_id`, `app.user_id`). Its deep page uses its own cursor for the same anchor row; the correctness gate compares ids, titles, authors and order (and hasNextPage), not raw bodies.",
]
  .map((l) => `- ${l}`)
  .join('\n');

/** The request dialect a candidate speaks: this API's schema (the ceiling mimics it) or PostGraphile's. */
type Dialect = 'tenantql' | 'postgraphile';
const queryNames = (args.queries?.split(',') ?? Object.keys(QUERIES)) as QueryName[];
for (const q of queryNames) if (!(q in QUERIES)) throw new Error(`unknown query ${q}; known: ${Object.keys(QUERIES).join(', ')}`);

interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

function body(dialect: Dialect, q: QueryName, variables: Record<string, unknown>): string {
  const { operationName } = QUERIES[q];
  const query = dialect === 'tenantql' ? QUERIES[q].query : PEER_QUERIES[q];
  return JSON.stringify({ operationName, query, variables });
}

type Requests = Record<QueryName, PreparedRequest[]>;

/**
 * Every request body each query may send, one per token: built once, so the load generator only
 * picks. Entry i of a query uses the same token in both dialects (the gate relies on it).
 * `peerDeepCursor`: PostGraphile's cursor for the same row as `data.big.deepCursor`.
 */
function prepareRequests(dialect: Dialect, data: SeededData, tokens: Map<string, string>, peerDeepCursor: string | null): Requests {
  const headers = (userId: string, organizationId: string) => ({
    'content-type': 'application/json',
    authorization: `Bearer ${tokens.get(`${organizationId}/${userId}`)!}`,
  });
  const deepCursor = dialect === 'tenantql' ? data.big.deepCursor : peerDeepCursor;
  const input = { title: 'Benchmark document', body: 'Written by the benchmark.' };
  return {
    list: data.tenants.map((t) => ({ headers: headers(t.userId, t.organizationId), body: body(dialect, 'list', { first: 20 }) })),
    deep: data.big.userIds.map((u) => ({ headers: headers(u, data.big.organizationId), body: body(dialect, 'deep', { first: 20, after: deepCursor }) })),
    get: data.tenants.map((t) => ({ headers: headers(t.userId, t.organizationId), body: body(dialect, 'get', { id: t.documentId }) })),
    create: data.tenants.map((t) => ({
      headers: headers(t.userId, t.organizationId),
      // PostGraphile's input wraps the row; organization, author and id come from column defaults the harness adds (see main).
      body: body(dialect, 'create', { input: dialect === 'tenantql' ? input : { document: input } }),
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
  dialect: Dialect;
  /** `node --version` of the binary it runs on. */
  runtime: string;
}

function nodeVersion(path: string): string | null {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

/** The peer and its Node 22 live in bench/peer/, installed on demand: the project installs neither. */
const PEER_DIR = resolve(ROOT, 'bench/peer');

function ensurePeerInstalled(): void {
  if (existsSync(resolve(PEER_DIR, 'node_modules/postgraphile')) && existsSync(resolve(PEER_DIR, 'node_modules/node/bin/node'))) return;
  console.log('[bench] installing the peer (bench/peer: postgraphile, node@22) from the npm registry');
  const res = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PEER_DIR, stdio: 'inherit' });
  if (res.status !== 0) throw new Error('`npm ci` in bench/peer failed');
}

/** A Node binary of the given major version: npm's own node, this process, PATH, then bench/peer's node@22. */
function findNode(major: number): { path: string; version: string } | null {
  const paths = [
    process.env.npm_node_execpath,
    process.execPath,
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'node')),
    resolve(PEER_DIR, 'node_modules/node/bin/node'),
  ];
  for (const path of paths) {
    if (!path || !existsSync(path)) continue;
    const version = nodeVersion(path);
    if (version && Number(/^v(\d+)/.exec(version)?.[1]) === major) return { path, version };
  }
  return null;
}

async function startCandidate(
  name: string,
  label: string,
  script: string,
  env: Record<string, string>,
  opts: { node: { path: string; version: string }; dialect?: Dialect; nodeFlags?: string[] },
): Promise<Candidate> {
  const nodeFlags = opts.nodeFlags ?? [];
  const port = await freePort();
  const log = createWriteStream(resolve(outDir, `${name}.log`));
  // `node --import tsx` rather than the tsx CLI: one process, so its pid is the server's (CPU, RSS).
  const child = spawn(opts.node.path, [...nodeFlags, '--import', 'tsx', script], {
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
  return { name, label: `${label}, Node ${opts.node.version}`, url, process: child, dialect: opts.dialect ?? 'tenantql', runtime: opts.node.version };
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
const freshId = (id: unknown) => (typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id) ? '<uuid>' : id);

/** Same-dialect comparison (ceiling vs this API): the whole `data`, cursors included. */
function normalise(q: QueryName, json: GraphQLResponse): unknown {
  if (q !== 'create') return json.data;
  const doc = (json.data?.createDocument ?? null) as { id?: string } | null;
  return doc ? { ...doc, id: freshId(doc.id) } : doc;
}

interface CanonicalDocument {
  id: unknown;
  title: unknown;
  author: { id: unknown; name: unknown } | null;
}

/**
 * Cross-dialect comparison: the data both schemas carry, in order (document ids, titles,
 * author ids and names, hasNextPage). Cursors differ by design (each engine's own encoding).
 */
function canonical(dialect: Dialect, q: QueryName, json: GraphQLResponse): unknown {
  type Node = Record<string, unknown>;
  const doc = (n: Node | null | undefined): CanonicalDocument | null => {
    if (!n) return null;
    const author =
      dialect === 'tenantql'
        ? (n.createdBy as { id: unknown; name: unknown } | null)
        : ((n.membershipByOrganizationIdAndCreatedById as { userByUserId?: { rowId: unknown; name: unknown } | null } | null)?.userByUserId ?? null);
    const authorId = author && ('rowId' in author ? author.rowId : author.id);
    return { id: dialect === 'tenantql' ? n.id : n.rowId, title: n.title, author: author ? { id: authorId, name: author.name } : null };
  };
  const d = json.data ?? {};
  if (q === 'list' || q === 'deep') {
    const conn = (dialect === 'tenantql' ? d.documents : d.allDocuments) as { edges?: { node: Node }[]; pageInfo?: { hasNextPage?: unknown } } | null | undefined;
    return conn ? { documents: conn.edges?.map((e) => doc(e.node)), hasNextPage: conn.pageInfo?.hasNextPage } : null;
  }
  if (q === 'get') return doc((dialect === 'tenantql' ? d.document : d.documentByRowId) as Node | null);
  const created = doc((dialect === 'tenantql' ? d.createDocument : (d.createDocument as { document?: Node } | null)?.document) as Node | null);
  return created ? { ...created, id: freshId(created.id) } : null;
}

async function correctnessGate(candidates: Candidate[], requests: Record<Dialect, Requests>): Promise<string[]> {
  const problems: string[] = [];
  for (const q of queryNames) {
    const n = Math.min(settings.gateSample, requests.tenantql[q].length);
    for (let i = 0; i < n; i++) {
      const answers: { name: string; dialect: Dialect; raw: unknown; canonical: unknown }[] = [];
      for (const c of candidates) {
        const { status, json } = await post(c.url, requests[c.dialect][q][i]!);
        if (status !== 200 || json.errors?.length) problems.push(`${c.name} ${q} #${i}: HTTP ${status} ${JSON.stringify(json).slice(0, 300)}`);
        answers.push({ name: c.name, dialect: c.dialect, raw: normalise(q, json), canonical: canonical(c.dialect, q, json) });
      }
      const ref = answers[0]!; // the ceiling
      for (const a of answers.slice(1)) {
        // Same dialect: byte-for-byte (cursors and all); other dialect: the normalised data.
        const [mine, theirs] = a.dialect === ref.dialect ? [a.raw, ref.raw] : [a.canonical, ref.canonical];
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
          problems.push(`${q} #${i}: ${a.name} differs from ${ref.name}${a.dialect === ref.dialect ? '' : ' (normalised)'}:\n  ${ref.name}: ${JSON.stringify(theirs).slice(0, 400)}\n  ${a.name}: ${JSON.stringify(mine).slice(0, 400)}`);
        }
      }
      const data = ref.canonical as { documents?: unknown[] } | null;
      if ((q === 'list' || q === 'deep') && !(data?.documents?.length === 20)) problems.push(`${q} #${i}: expected 20 edges`);
      if (q === 'get' && !data) problems.push(`get #${i}: expected a document`);
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
    const peer = runs.filter((r) => r.query === q && r.candidate === 'postgraphile');
    const peerRps = peer.length ? median(peer.map((r) => r.rps)) : null;
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
        ratioToPeer: peerRps && c !== 'postgraphile' && c !== 'ceiling' ? rps / peerRps : null,
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
  stats.on('error', () => undefined); // the database stops under it when a run fails early
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
  log(`${tokens.size} tokens signed`);

  // Runtimes: this API as deployed on Node 20; the peer (PostGraphile 5 needs Node >= 22) and the
  // API's second run on the `node@22` package's binary.
  if (candidateNames.some((c) => c === 'postgraphile' || c === 'api-node22')) ensurePeerInstalled();
  const node20 = findNode(20);
  const node22 = findNode(22);
  const apiNode = node20 ?? { path: process.execPath, version: process.version };
  if (!node20) log(`no Node 20 found: the API runs on this process's ${process.version}`);
  if (!node22 && candidateNames.some((c) => c === 'postgraphile' || c === 'api-node22')) {
    throw new Error('PostGraphile and api-node22 need Node 22: `npm ci` in bench/peer installs it (bench/peer/node_modules/node/bin/node)');
  }
  log(`runtimes: API ${apiNode.version} (${apiNode.path})${node22 ? `, Node 22 ${node22.version} (${node22.path})` : ''}`);

  const withPeer = candidateNames.includes('postgraphile');
  if (withPeer) {
    // PostGraphile inserts only the columns the mutation gives. The API and the ceiling always
    // give id, organization and author; for the peer these bench-only defaults fill them from the
    // same transaction-local settings RLS reads (pgSettings), so its createDocument input is
    // just { title, body } and the tenant still comes only from the verified token.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`alter table document
      alter column id set default gen_random_uuid(),
      alter column organization_id set default nullif(current_setting('app.organization_id', true), '')::uuid,
      alter column created_by_id set default nullif(current_setting('app.user_id', true), '')::uuid`);
    await c.end();
  }

  const common = { DATABASE_URL: url, JWT_SECRET: jwtSecret, JWT_ISSUER: config.jwt.issuer, JWT_AUDIENCE: config.jwt.audience, DB_POOL_MAX: String(settings.poolSize) };
  const apiEnv = { ...common, NODE_ENV: 'production', RATE_LIMIT_ENABLED: 'false', SEED_DEMO_DATA: 'false', LOG_LEVEL: settings.apiLogLevel };
  const apiLabel = 'tenantql API (as deployed: RLS + filter + audit)';
  const starters: Record<CandidateName, () => Promise<Candidate>> = {
    ceiling: () => startCandidate('ceiling', 'ceiling: node:http + pg + jose (owner, tenant predicate in SQL)', 'bench/ceiling.ts', common, { node: apiNode }),
    api: () =>
      startCandidate('api', apiLabel, 'src/main.ts', apiEnv, {
        node: apiNode,
        nodeFlags: args['api-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(outDir, 'profile')}`] : [],
      }),
    'api-node22': () => startCandidate('api-node22', apiLabel, 'src/main.ts', apiEnv, { node: node22! }),
    postgraphile: () =>
      startCandidate('postgraphile', 'PostGraphile 5 (pgSettings -> the same RLS; membership checked, no audit)', 'bench/peer/postgraphile.ts',
        { ...common, PEER_SCHEMA_OUT: resolve(outDir, 'postgraphile.schema.graphql') }, { node: node22!, dialect: 'postgraphile' }),
  };
  // Started together (each waits for its own /healthz), kept in the fixed order above.
  const candidates = await Promise.all(ALL_CANDIDATES.filter((c) => candidateNames.includes(c)).map((c) => starters[c]()));
  log(`started: ${candidates.map((c) => `${c.name} (${c.runtime})`).join(', ')}`);

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
    if (status !== 200 || json.errors?.length || json.data?.documentByRowId !== null) throw new Error(`PostGraphile isolation probe failed: HTTP ${status} ${JSON.stringify(json).slice(0, 300)}`);
  }
  const requests: Record<Dialect, Requests> = {
    tenantql: prepareRequests('tenantql', data, tokens, null),
    postgraphile: prepareRequests('postgraphile', data, tokens, peerDeepCursor),
  };
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
        const r = await measure(round, c, q, requests[c.dialect][q], stats);
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
    /** The orchestrator's (load generator's) runtime; each candidate's is in `runtimes`. */
    node: process.version,
    runtimes: Object.fromEntries(candidates.map((c) => [c.name, c.runtime])),
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
    `# ${title}\n\n${meta.date}, load generator on Node ${meta.node} (each candidate's runtime is in its label), PostgreSQL ${meta.postgres}, ${meta.cpus} CPUs (${meta.cpuModel}); server, database and load generator share them.\n\n` +
      `${markdownTable(summary, labels, queryLabels)}\n\n` +
      `Medians of ${settings.rounds} interleaved round(s) of ${settings.durationSeconds} s after a ${settings.warmupSeconds} s warm-up each; pool size ${settings.poolSize} for every candidate; API LOG_LEVEL=${settings.apiLogLevel}.\n` +
      `SQL statements/request: ${meta.statementsSource}. Server CPU: ${meta.cpuSource}.\n` +
      (withPeer ? `\n${PEER_NOTES}\n` : '') +
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
