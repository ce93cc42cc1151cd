import { relative, resolve } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { connectOrm } from '../src/db/orm.js';
import { cpuMs, freePort, ROOT } from './processes.js';

// The benchmark database: embedded PostgreSQL (or BENCH_DATABASE_URL), the API's migrations,
// emptying it between datasets, and pg_stat_statements.

let embedded: EmbeddedDatabase | undefined;

export interface BenchDatabase {
  url: string;
  source: string;
}

/**
 * A fresh, migrated `tenantql_bench` on embedded PostgreSQL (files under `dataDir`, default
 * .data/bench), or BENCH_DATABASE_URL migrated and emptied.
 */
export async function openDatabase(dataDir = resolve(ROOT, '.data/bench')): Promise<BenchDatabase> {
  const given = process.env.BENCH_DATABASE_URL;
  let db: BenchDatabase;
  if (given) {
    // An external server: migrate, then empty the benchmark's tables (this database is the benchmark's own).
    db = { url: given, source: 'BENCH_DATABASE_URL' };
  } else {
    embedded = await startEmbeddedPostgres({
      dataDir,
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
    db = { url: embedded.adminUrl.replace(/\/postgres$/, '/tenantql_bench'), source: `embedded PostgreSQL (${relative(ROOT, dataDir).startsWith('..') ? dataDir : relative(ROOT, dataDir)})` };
  }
  const owner = await connectOrm({ clientUrl: db.url, mode: 'multi_tenant', poolMax: 2 });
  try {
    await owner.getMigrator().up();
  } finally {
    await owner.close();
  }
  if (given) await emptyTenantTables(db.url);
  return db;
}

export async function stopDatabase(): Promise<void> {
  await embedded?.stop().catch(() => undefined);
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Empties every table the benchmark loads: every tenant table references `organization` or
 * `user`, so CASCADE reaches them all (including ones added later). TRUNCATE gives the tables new,
 * empty files: no dead rows or bloat carried from one dataset to the next.
 */
export function emptyTenantTables(url: string): Promise<void> {
  return withClient(url, async (c) => {
    await c.query('truncate organization, "user" cascade');
  });
}

/** A client for pg_stat_statements (null when the server did not preload it: statements per request read n/a). */
export async function openStatementStats(url: string, log: (m: string) => void): Promise<pg.Client | null> {
  const stats = new pg.Client({ connectionString: url });
  stats.on('error', () => undefined); // the database stops under it when a run fails early
  await stats.connect();
  try {
    await stats.query('create extension if not exists pg_stat_statements');
    await stats.query('select pg_stat_statements_reset()');
    return stats;
  } catch (err) {
    log(`pg_stat_statements unavailable (${(err as Error).message}): statements per request will read n/a`);
    await stats.end();
    return null;
  }
}

/**
 * Statements the candidates sent since the last reset, to the benchmark database or, given
 * `databases` (names), to those (the hybrid candidate's shared and dedicated databases).
 */
export async function statementCount(stats: pg.Client | null, databases?: string[]): Promise<number | null> {
  if (!stats) return null;
  const { rows } = await stats.query<{ n: string }>(
    `select coalesce(sum(calls), 0)::bigint as n from pg_stat_statements s join pg_database d on d.oid = s.dbid
      where d.datname = any(coalesce($1::text[], array[current_database()::text])) and s.query not ilike '%pg_stat_statements%'
        -- foreign-key checks PostgreSQL runs itself at COMMIT (deferred constraints) show up as top-level statements: not sent by the candidate
        and s.query not like 'SELECT 1 FROM ONLY %FOR KEY SHARE OF x'`,
    [databases ?? null],
  );
  return Number(rows[0]!.n);
}

/**
 * CPU ms used so far by each server backend connected to `databases` (default: the benchmark
 * database), keyed by pid: pg_stat_activity's backends, /proc/<pid>/stat's utime + stime. The
 * asking connection is left out. Null when there are no statistics or the server is not on this
 * machine (its processes cannot be read).
 */
export async function backendCpuMs(stats: pg.Client | null, databases?: string[]): Promise<Map<number, number> | null> {
  if (!stats) return null;
  const { rows } = await stats.query<{ pid: number }>(
    `select pid from pg_stat_activity
      where datname = any(coalesce($1::text[], array[current_database()::text])) and pid <> pg_backend_pid() and backend_type = 'client backend'`,
    [databases ?? null],
  );
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = cpuMs(pid);
    if (ms === null) continue; // ended since, or not ours to read
    cpu.set(pid, ms);
  }
  return rows.length > 0 && cpu.size === 0 ? null : cpu;
}

/**
 * CPU ms the backends spent between two `backendCpuMs` readings: those present at the end, less
 * what they had at the start (0 for backends opened in between). A backend that closed during
 * the run is missed; the candidates' pools keep theirs open through a timed run.
 */
export function backendCpuSpent(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null;
  let spent = 0;
  for (const [pid, ms] of after) spent += ms - (before.get(pid) ?? 0);
  return spent;
}

export const serverVersion = (url: string) =>
  withClient(url, async (c) => (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v);
