import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentsDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { createTestDatabase, withSql } from './support/database.js';
import { createOrg } from './support/factories.js';
import { codes, gql } from './support/graphql.js';

// Every placement gets the same schema, row-level security and serving role as the shared one,
// and the server refuses to serve one that differs, naming it; the others keep being served.

let app: TestApp;
const urls: Record<string, string> = {};

beforeAll(async () => {
  const [claimed, newer, unprotected] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
  // Another deployment's placement `beta` (or a copy of one): a name of its own already.
  await withSql(claimed, (c) => c.query(`insert into placement_identity (name) values ('beta')`));
  // Migrated by newer code: a migration this server does not know.
  await withSql(newer, (c) => c.query(`insert into mikro_orm_migrations (name, executed_at) values ('Migration20991231000000_from_the_future', now())`));
  // A tenant table whose row-level security was switched off by hand.
  await withSql(unprotected, (c) => c.query('alter table document no force row level security'));
  Object.assign(urls, { claimed, newer, unprotected });
  app = await startApp({}, undefined, { placements: ['good', ...Object.entries(urls).map(([name, url]) => ({ name, url }))] });
});
afterAll(() => app?.close());

describe('placement checks', () => {
  it('refuses each wrong placement with the reason, and serves the right one and the shared one', async () => {
    const status = Object.fromEntries((await app.router.pools.status()).map((s) => [s.name, s]));
    expect(status.shared?.status).toBe('ready');
    expect(status.good?.status).toBe('ready');
    expect(status.claimed).toMatchObject({ status: 'refused', reason: expect.stringContaining('its database is placement beta') });
    expect(status.newer).toMatchObject({ status: 'refused', reason: expect.stringContaining('Migration20991231000000_from_the_future') });
    expect(status.unprotected).toMatchObject({ status: 'refused', reason: expect.stringMatching(/placement unprotected: .*document/) });
  });

  it("a refused placement's organizations get SERVICE_UNAVAILABLE, without the reason; /readyz names the placement", async () => {
    const refusedOrg = await createOrg(app, { placement: 'claimed', documents: 1 });
    const goodOrg = await createOrg(app, { placement: 'good', documents: 1 });
    const refused = await gql(app, DocumentsDocument, { first: 5 }, { token: refusedOrg.owner.token });
    expect(refused.status).toBe(503);
    expect(codes(refused)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(refused.raw).not.toMatch(/beta|claimed|placement_identity/);
    const served = await gql(app, DocumentsDocument, { first: 5 }, { token: goodOrg.owner.token });
    expect(served.data?.documents.edges).toHaveLength(1);
    const ready = (await (await fetch(`${app.url}/readyz`)).json()) as { placements: { name: string; status: string }[] };
    expect(ready.placements).toContainEqual({ name: 'claimed', status: 'refused' });
  });

  it('migrated the right placement to the same schema version as the shared database', async () => {
    const names = async (url: string) => (await withSql(url, (c) => c.query('select name from mikro_orm_migrations order by name'))).rows.map((r: { name: string }) => r.name);
    expect(await names(app.placementUrls.good!)).toEqual(await names(app.databaseUrl));
    const identity = await withSql(app.placementUrls.good!, (c) => c.query('select name from placement_identity'));
    expect(identity.rows).toEqual([{ name: 'good' }]);
  });
});
