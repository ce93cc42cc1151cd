import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { connectOrm } from '../../src/db/orm.js';
import { sleep } from './documents-helpers.js';
import { freePort } from './ports.js';

export interface DedicatedPostgres extends EmbeddedDatabase {
  /** Stops the server (if running) and deletes its files. */
  destroy(): Promise<void>;
}

/**
 * An embedded PostgreSQL of this test's own (so it can be stopped and started), in a throw-away
 * directory, with one migrated database at `url`. Files are kept across stop()/start().
 */
export async function startDedicatedPostgres(database = 'tenantql_faults'): Promise<DedicatedPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantql-faults-'));
  await chmod(dir, 0o755); // run as root, the server runs as `postgres`: keep its files in place
  const db = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), database, persistent: true });
  const orm = await connectOrm({ clientUrl: db.url, mode: 'multi_tenant', poolMax: 1 });
  try {
    await orm.getMigrator().up();
  } finally {
    await orm.close();
  }
  return {
    ...db,
    destroy: async () => {
      await db.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

/** The outcome of one HTTP request; `thrown` when no HTTP answer came at all. */
export interface Outcome {
  status: number | null;
  /** The x-request-id response header. */
  requestId: string | null;
  /** The Retry-After response header, if any. */
  retryAfter?: string | null;
  raw: string;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] } | null;
  thrown?: string;
  sentAt: number;
  answeredAt: number;
}

/** One GraphQL request that never throws: a missing answer or a body that is not JSON is recorded. */
export async function post(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Outcome> {
  const sentAt = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(8_000),
    });
    const raw = await res.text();
    let body: Outcome['body'] = null;
    try {
      body = JSON.parse(raw) as Outcome['body'];
    } catch {
      // left null: checked by the caller
    }
    return { status: res.status, requestId: res.headers.get('x-request-id'), retryAfter: res.headers.get('retry-after'), raw, body, sentAt, answeredAt: Date.now() };
  } catch (err) {
    const cause = err instanceof Error && err.cause ? ` (${String(err.cause)})` : '';
    return { status: null, requestId: null, raw: '', body: null, thrown: `${String(err)}${cause}`, sentAt, answeredAt: Date.now() };
  }
}

/** The real entry point (src/main.ts, TypeScript loaded by tsx, or the compiled dist/main.js) as a child process, with its log lines collected. */
export interface EntryPoint {
  child: ChildProcess;
  /** pino JSON lines from stdout, parsed (non-JSON lines as `{ msg }`), in order. */
  lines: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runEntryPoint(root: string, env: Record<string, string>, script = 'src/main.ts'): EntryPoint {
  // `node --import tsx`, not the `tsx` CLI: that wrapper relays SIGTERM to its child and
  // SIGKILLs it if the child has not acknowledged within 30 ms, which a busy server often has
  // not (see the report on issue 3). This way the signal reaches main.ts itself.
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, join(root, script)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, stderr: () => err, exited };
}
