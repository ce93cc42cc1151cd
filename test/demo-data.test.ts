import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { prepareDatabase } from '../src/db/bootstrap.js';
import { connectOrm, type Orm } from '../src/db/orm.js';
import { DemoDataError, DemoDataSeeder } from '../src/db/seeders/demo-data.js';
import { TEST_JWT_SECRET } from './support/app.js';
import { createTestDatabase, withSql } from './support/database.js';

// The demo data as the server seeds it at start-up (SEED_DEMO_DATA), in both deployment modes.
// The CLI's `seeder:run` is tested in orm-cli.test.ts.

const opened: Orm[] = [];
afterAll(() => Promise.all(opened.map((orm) => orm.close())));
const logger = pino({ level: 'silent' });

async function database(env: Record<string, string>) {
  const url = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: url, ...env });
  const orm = await connectOrm({ clientUrl: url, mode: config.mode, poolMax: 2 });
  opened.push(orm);
  const memberships = () =>
    withSql(url, async (c) =>
      (
        await c.query<{ m: string }>(
          `select u.email || ' ' || o.name || ' ' || m.role as m from membership m join "user" u on u.id = m.user_id join organization o on o.id = m.organization_id order by 1`,
        )
      ).rows.map((r) => r.m),
    );
  return { url, config, orm, memberships };
}

describe('the demo data at start-up', () => {
  it('multi-tenant, SEED_DEMO_DATA=true: two organizations and a user in both, seeded once', async () => {
    const { config, orm, memberships } = await database({ SEED_DEMO_DATA: 'true' });
    await prepareDatabase(orm, config, logger, { embedded: false });
    const seeded = await memberships();
    expect(seeded).toEqual(['alice@acme.test Acme Corp OWNER', 'alice@acme.test Globex MEMBER', 'bob@globex.test Globex OWNER', 'carol@acme.test Acme Corp VIEWER']);
    // A restart finds organizations and leaves them alone.
    await prepareDatabase(orm, config, logger, { embedded: false });
    expect(await memberships()).toEqual(seeded);
  });

  it('SEED_DEMO_DATA=auto seeds the embedded database only; false never', async () => {
    for (const [env, embedded, expected] of [
      [{ SEED_DEMO_DATA: 'auto' }, false, 0],
      [{ SEED_DEMO_DATA: 'auto' }, true, 4],
      [{ SEED_DEMO_DATA: 'false' }, true, 0],
    ] as const) {
      const { config, orm, memberships } = await database(env);
      await prepareDatabase(orm, config, logger, { embedded });
      expect((await memberships()).length, `${env.SEED_DEMO_DATA}, embedded: ${embedded}`).toBe(expected);
    }
  });

  it('single-tenant: the same users in its one organization', async () => {
    const id = randomUUID();
    const { config, orm, memberships } = await database({ DEPLOYMENT_MODE: 'single_tenant', DEFAULT_ORGANIZATION_ID: id, DEFAULT_ORGANIZATION_NAME: 'Solo', SEED_DEMO_DATA: 'true' });
    await prepareDatabase(orm, config, logger, { embedded: false });
    expect(await memberships()).toEqual(['alice@acme.test Solo OWNER', 'bob@globex.test Solo MEMBER', 'carol@acme.test Solo VIEWER']);
  });

  it('the seeder refuses, writing nothing, a single-tenant database without its organization', async () => {
    const { url, orm } = await database({});
    const id = randomUUID();
    const err = await new DemoDataSeeder().run(orm.em, { mode: 'single_tenant', defaultOrganizationId: id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DemoDataError);
    expect((err as Error).message).toBe(`single_tenant: the organization ${id} does not exist yet: start the server once (it creates it), then seed.`);
    expect(await withSql(url, async (c) => (await c.query('select 1 from "user"')).rowCount)).toBe(0);
  });
});
