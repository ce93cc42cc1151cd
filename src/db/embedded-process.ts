import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { ServerAccount } from './embedded-account.js';
import type { PostgresBinaries } from './embedded-binaries.js';
import { EmbeddedDatabaseError } from './embedded-error.js';

// The PostgreSQL programs as child processes: initdb once, then the server. Nothing here calls
// process.exit or listens for signals, beforeExit or message: the caller decides when to stop.

type Log = Pick<Logger, 'debug' | 'warn'>;

/** How long a fast shutdown may take before the server is told to quit at once (ms). */
const FAST_SHUTDOWN_MS = 30_000;
const IMMEDIATE_SHUTDOWN_MS = 10_000;
const KEPT_LINES = 30;

/** uid/gid for spawn when running as root; the working directory is `/`, which every account can enter. */
const asAccount = (account: ServerAccount | undefined) => ({ cwd: '/', ...(account ? { uid: account.uid, gid: account.gid } : {}) });

/**
 * Creates a cluster in the empty or missing `clusterDir`: superuser `postgres` with `password`,
 * SCRAM-SHA-256 for every connection, UTF-8, and a locale that does not depend on the machine's
 * (the builtin provider's C.UTF-8, PostgreSQL 17+; server messages in English). The password
 * reaches initdb in a file of the server's account (mode 0600) beside the cluster, deleted after.
 * `durable: false` (throw-away clusters) skips initdb's final sync to disk, a few seconds of a
 * test run (initdb's --no-sync, "useful for testing" per its documentation).
 * Throws EmbeddedDatabaseError with initdb's last words when it fails.
 */
export async function initCluster(binaries: PostgresBinaries, clusterDir: string, password: string, durable: boolean, account: ServerAccount | undefined, logger?: Log): Promise<void> {
  const pwfile = join(dirname(clusterDir), `.initdb-password-${randomBytes(6).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (account) await chown(pwfile, account.uid, account.gid);
    const args = [
      `--pgdata=${clusterDir}`,
      '--username=postgres',
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--lc-messages=C',
      '--no-instructions',
      ...(durable ? [] : ['--no-sync']),
    ];
    const child = spawn(binaries.initdb, args, { ...asAccount(account), stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = collectLines(child, logger);
    const { code, signal, error } = await exitOf(child);
    if (code !== 0) {
      const why = error ? `${error}` : `exit code ${code ?? signal}: ${lines.slice(-3).join(' / ')}`;
      throw new EmbeddedDatabaseError(`Creating the embedded PostgreSQL cluster in ${clusterDir} failed (${why}): fix the cause, or set DATABASE_URL to use your own server.`);
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** A running (or exited) server process. */
export interface ServerProcess {
  /** Resolves once the process has exited or failed to start (never rejects). */
  exited: Promise<Exit>;
  hasExited(): boolean;
  /** What it logged last (stderr lines, oldest first), for error messages. */
  lastLines(): string[];
  /** Fast shutdown (SIGINT: sessions are ended, a checkpoint is written), then waits for the exit. */
  stop(): Promise<void>;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be run at all (e.g. `spawn ... EACCES`). */
  error?: string;
}

/**
 * Starts `postgres` on the cluster, listening on 127.0.0.1:`port` only (no Unix socket), in a
 * process group of its own so a Ctrl-C in the terminal reaches only us: main.ts finishes its
 * requests first, then calls stop(). Readiness is the caller's to check (by connecting).
 */
export function startServer(binaries: PostgresBinaries, clusterDir: string, port: number, flags: string[], account: ServerAccount | undefined, logger?: Log): ServerProcess {
  // wal_level=logical: a tenant moves off this server by row-filtered logical replication
  // (src/tenancy/mobility/); it costs a little more WAL, and needs no restart when a move starts.
  const args = ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C', '-c', 'wal_level=logical', ...flags];
  // (On Windows `detached` would open a console window of its own instead.)
  const child = spawn(binaries.postgres, args, { ...asAccount(account), detached: process.platform !== 'win32', stdio: ['ignore', 'ignore', 'pipe'] });
  const lines = collectLines(child, logger);
  let exited = false;
  let stopping = false;
  const exit = exitOf(child).then((e) => {
    exited = true;
    if (!stopping) logger?.warn({ code: e.code, signal: e.signal, error: e.error, postgres: lines.slice(-5) }, 'embedded PostgreSQL exited');
    return e;
  });
  stopOnProcessExit(child);
  return {
    exited: exit,
    hasExited: () => exited,
    lastLines: () => [...lines],
    stop: async () => {
      if (exited) return;
      stopping = true;
      if (process.platform === 'win32') {
        // Windows has no SIGINT for another process (kill() would end it abruptly): ask pg_ctl.
        spawn(binaries.pgCtl, ['stop', '-D', clusterDir, '-m', 'fast'], { stdio: 'ignore' }).on('error', () => child.kill());
      } else {
        child.kill('SIGINT');
      }
      if (await within(exit, FAST_SHUTDOWN_MS)) return;
      child.kill('SIGQUIT'); // immediate shutdown: the next start replays the WAL
      if (await within(exit, IMMEDIATE_SHUTDOWN_MS)) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
}

/** Logs each stderr line at debug and keeps the last few. */
function collectLines(child: ChildProcess, logger?: Log): string[] {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
      logger?.debug({ postgres: line }, 'embedded postgres');
      lines.push(line);
      if (lines.length > KEPT_LINES) lines.shift();
    });
  }
  return lines;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, error: err.message }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

const within = (p: Promise<unknown>, ms: number) =>
  new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });

/**
 * Last resort when this process exits without stop() (an uncaught error, a test runner ending):
 * an 'exit' listener can only act synchronously and cannot change the exit code, so it just
 * sends each live server the fast-shutdown signal, which the server completes on its own.
 */
const live = new Set<ChildProcess>();
let exitListener = false;
function stopOnProcessExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  if (exitListener) return;
  exitListener = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGINT');
  });
}
