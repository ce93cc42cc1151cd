import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDED_DATABASE, EmbeddedDatabaseError, runningEmbeddedUrl, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.js';
import { nextTimestamp } from '../src/db/hand-written-schema.js';
import { connectOrm, MIGRATIONS_DIR } from '../src/db/orm.js';
import { SERVING_ROLE } from '../src/db/serving-role.js';
import { tenantTableProblems } from '../src/db/tenant-table-check.js';
import { createEmptyDatabase } from './support/empty-database.js';
import { runEntryPoint, waitFor } from './support/faults-helpers.js';
import { freePort } from './support/ports.js';
import { copyProject, ROOT } from './support/project-copy.js';
import { createTestDatabase, withSql } from './support/database.js';

// The MikroORM CLI as a developer runs it (`npx mikro-orm ...` runs node_modules/.bin/mikro-orm,
// started here directly), with the project's configuration (mikro-orm.config.js, which loads
// src/mikro-orm.config.ts through tsx) and only the environment a shell would give it.

const run = promisify(execFile);

interface CliResult {
  code: number;
  /** stdout and stderr together, colours removed. */
  output: string;
}

async function cli(args: string[], env: Record<string, string>, cwd = ROOT): Promise<CliResult> {
  const options = {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', ...env },
    timeout: 60_000,
  };
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  try {
    const { stdout, stderr } = await run(join(cwd, 'node_modules/.bin/mikro-orm'), args, options);
    return { code: 0, output: plain(stdout + stderr) };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: plain(`${e.stdout ?? ''}${e.stderr ?? ''}`) };
  }
}

const migrationFiles = async () => (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const applied = (url: string) =>
  withSql(url, async (c) => (await c.query<{ name: string }>('select name from mikro_orm_migrations order by id')).rows.map((r) => r.name));

describe('the migration files', () => {
  it('are named as migration:create names them, and each exports exactly its own class', async () => {
    // The Migrator runs the first function a file exports: a helper exported beside the class
    // would run instead of the migration.
    const names = await migrationFiles();
    expect(names.length).toBeGreaterThanOrEqual(6);
    expect(await readdir(MIGRATIONS_DIR), 'nothing but migrations in the directory the Migrator reads').toEqual(names.map((n) => `${n}.ts`));
    for (const name of names) {
      expect(name).toMatch(/^Migration\d{14}_[a-z0-9_]+$/);
      const module = (await import(join(MIGRATIONS_DIR, `${name}.ts`))) as Record<string, unknown>;
      expect(Object.keys(module), name).toEqual([name]);
    }
  });

  it('a new one is named after the newest, whatever the clock says (they run in name order)', () => {
    const files = ['Migration20261127000000_core.ts', 'Migration20261231235959_last.ts', 'index.ts'];
    expect(nextTimestamp(files, new Date('2027-01-02T03:04:05.678Z'))).toBe('20270102030405');
    expect(nextTimestamp(files, new Date('2026-11-30T08:00:00Z'))).toBe('20270101000000');
    expect(nextTimestamp(files, new Date('2026-12-31T23:59:59.500Z'))).toBe('20270101000000');
    expect(nextTimestamp([], new Date('2026-11-30T08:00:00Z'))).toBe('20261130080000');
  });
});

describe('the MikroORM CLI on the database DATABASE_URL names', () => {
  it('migration:pending lists every migration file, migration:up applies them all, migration:list shows them', async () => {
    const url = await createEmptyDatabase();
    const names = await migrationFiles();
    const pending = await cli(['migration:pending'], { DATABASE_URL: url });
    expect(pending.code, pending.output).toBe(0);
    for (const name of names) expect(pending.output, name).toContain(name);

    const up = await cli(['migration:up'], { DATABASE_URL: url });
    expect(up.code, up.output).toBe(0);
    expect(up.output).toContain('Successfully migrated up to the latest version');
    expect(await applied(url)).toEqual(names);

    // The schema the CLI built is the server's: row-level security on every tenant table.
    const serving = await connectOrm({ clientUrl: url, mode: 'multi_tenant', poolMax: 1, role: SERVING_ROLE });
    try {
      expect(await tenantTableProblems(serving)).toEqual([]);
    } finally {
      await serving.close();
    }

    const list = await cli(['migration:list'], { DATABASE_URL: url });
    expect(list.code, list.output).toBe(0);
    for (const name of names) expect(list.output, name).toMatch(new RegExp(`${name}\\s*│\\s*\\d{4}-\\d\\d-\\d\\dT`));
  });

  it('migration:create refuses a diff computed from the entities and writes a blank migration with --blank', async () => {
    const url = await createTestDatabase(); // migrated
    const dir = await mkdtemp(join(tmpdir(), 'tenantql-migration-'));
    try {
      const diff = await cli(['migration:create', '--path', dir], { DATABASE_URL: url });
      expect(diff.code, diff.output).not.toBe(0);
      expect(diff.output).toContain('migration:create refused: the schema is written by hand');
      expect(await readdir(dir), 'no file written').toEqual([]);

      const blank = await cli(['migration:create', '--blank', '--name', 'from_the_cli', '--path', dir], { DATABASE_URL: url });
      expect(blank.code, blank.output).toBe(0);
      const [file] = await readdir(dir);
      expect(file).toMatch(/^Migration\d{14}_from_the_cli\.ts$/);
      const text = await readFile(join(dir, file!), 'utf8');
      expect(text).toContain(`export class ${file!.slice(0, -3)} extends Migration {`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('schema:update --run and migration:fresh are refused and change nothing', async () => {
    const url = await createTestDatabase(); // migrated
    const catalog = () =>
      withSql(url, async (c) => ({
        constraints: (await c.query('select conname from pg_constraint where connamespace = \'public\'::regnamespace order by 1')).rows,
        policies: (await c.query('select polname, polrelid::regclass::text from pg_policy order by 1, 2')).rows,
        migrations: (await c.query('select name from mikro_orm_migrations order by id')).rows,
      }));
    const before = await catalog();
    expect(before.policies.length).toBeGreaterThan(0);
    for (const args of [['schema:update', '--run'], ['migration:fresh']]) {
      const res = await cli(args, { DATABASE_URL: url });
      expect(res.code, res.output).not.toBe(0);
      expect(res.output, args.join(' ')).toMatch(/(schema:update|schema:drop \(and migration:fresh, schema:fresh\)) refused: the schema is written by hand/);
    }
    expect(await catalog()).toEqual(before);
  });
});

describe('the MikroORM CLI on the embedded server `npm start` runs (no DATABASE_URL)', () => {
  let dir: string;
  let port: number;
  let embedded: EmbeddedDatabase | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tenantql-cli-embedded-'));
    await chmod(dir, 0o755); // run as root, the server runs as `postgres`: keep its files in place
    port = await freePort();
  });
  afterAll(async () => {
    await embedded?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const env = () => ({ DATA_DIR: dir, EMBEDDED_PG_PORT: String(port) });

  it('says so when there is no embedded database yet, or it is not running', async () => {
    const never = await cli(['migration:list'], env());
    expect(never.code, never.output).not.toBe(0);
    expect(never.output).toContain(`There is no embedded database in ${dir} yet`);

    await writeFile(join(dir, 'postgres-password'), 'not-running', { mode: 0o600 });
    const stopped = await runningEmbeddedUrl(dir, port).catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(EmbeddedDatabaseError);
    expect((stopped as Error).message).toMatch(new RegExp(`^Cannot connect to the embedded PostgreSQL on 127\\.0\\.0\\.1:${port} \\(.*\\): is it running\\?`));
    await rm(join(dir, 'postgres-password'));
  });

  it('migrates it, and seeder:run seeds the demo data once', async () => {
    embedded = await startEmbeddedPostgres({ dataDir: dir, port, database: EMBEDDED_DATABASE, persistent: false });
    expect(await runningEmbeddedUrl(dir, port)).toBe(embedded.url);

    const up = await cli(['migration:up'], env());
    expect(up.code, up.output).toBe(0);
    expect(await applied(embedded.url)).toEqual(await migrationFiles());

    const seed = await cli(['seeder:run'], env());
    expect(seed.code, seed.output).toBe(0);
    expect(seed.output).toContain('Seeder DemoDataSeeder successfully executed');
    const demo = () =>
      withSql(embedded!.url, async (c) => ({
        users: (await c.query<{ email: string }>('select email from "user" order by email')).rows.map((r) => r.email),
        memberships: (
          await c.query<{ m: string }>(`select u.email || ' ' || o.name || ' ' || m.role as m from membership m join "user" u on u.id = m.user_id join organization o on o.id = m.organization_id order by 1`)
        ).rows.map((r) => r.m),
        documents: Number((await c.query<{ n: string }>('select count(*) as n from document')).rows[0]!.n),
        comments: Number((await c.query<{ n: string }>('select count(*) as n from comment')).rows[0]!.n),
      }));
    const seeded = await demo();
    expect(seeded).toEqual({
      users: ['alice@acme.test', 'bob@globex.test', 'carol@acme.test'],
      memberships: ['alice@acme.test Acme Corp OWNER', 'alice@acme.test Globex MEMBER', 'bob@globex.test Globex OWNER', 'carol@acme.test Acme Corp VIEWER'],
      documents: 6,
      comments: 3,
    });

    const again = await cli(['seeder:run'], env());
    expect(again.code, again.output).not.toBe(0);
    expect(again.output).toContain('The demo data is already there (alice@acme.test, bob@globex.test, carol@acme.test exist): nothing was seeded.');
    expect(await demo()).toEqual(seeded);
  });
});

describe('a migration written by migration:create', () => {
  let copy: string | undefined;
  afterAll(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it('runs at the next start of the compiled build, listed nowhere', async () => {
    copy = await mkdtemp(join(tmpdir(), 'tenantql-new-migration-'));
    await copyProject(copy);
    const url = await createEmptyDatabase();
    const created = await cli(['migration:create', '--blank', '--name', 'added_by_test'], { DATABASE_URL: url }, copy);
    expect(created.code, created.output).toBe(0);
    const file = (await readdir(join(copy, 'src/db/migrations'))).find((f) => f.endsWith('_added_by_test.ts'));
    expect(file, created.output).toBeDefined();

    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: copy, timeout: 120_000 });
    const port = await freePort();
    const proc = runEntryPoint(copy, { DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test', LOG_LEVEL: 'info', SEED_DEMO_DATA: 'false' }, 'dist/main.js');
    try {
      const started = waitFor('the compiled build to listen', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined), 60_000, 200);
      const log = () => `${proc.lines.map((l) => `${String(l.msg)}${l.err ? ` ${JSON.stringify(l.err)}` : ''}`).slice(-5).join(' | ')} ${proc.stderr()}`;
      const outcome = await Promise.race([started.then(() => 'listening', String), proc.exited.then((e) => `exited with code ${e.code}: ${log()}`)]);
      expect(outcome).toBe('listening');
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect((await proc.exited).code).toBe(0);
    expect(await applied(url)).toEqual([...(await migrationFiles()), file!.slice(0, -3)]);
    expect(proc.lines.find((l) => l.msg === 'migrations applied')?.migrations).toContain(file!.slice(0, -3));
  }, 180_000);
});
