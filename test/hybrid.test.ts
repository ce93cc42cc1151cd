import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDocumentDocument,
  DocumentsDocument,
  LoginDocument,
  MeDocument,
  RemoveMemberDocument,
  SwitchOrganizationDocument,
} from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { createTestDatabase, withSql } from './support/database.js';
import { sleep } from './support/documents-helpers.js';
import { createOrg, TEST_PASSWORD, type TestOrg } from './support/factories.js';
import { codes, gql, gqlOk } from './support/graphql.js';
import { inviteAndAccept, signUpAndConfirm } from './support/mail.js';
import { switchPlacement } from './support/placement-switch.js';
import { startTcpProxy } from './support/tcp-proxy.js';

// Hybrid deployment (issue 10): the shared database and dedicated placements in one deployment,
// every request routed to its organization's database, over HTTP with real tokens.

let app: TestApp;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
/** The database behind the proxy (placement `gamma`, which a test takes down). */
let gammaUrl: string;

/** Where a document's row is: the placement names whose database holds it. */
async function placementsHolding(table: string, id: string): Promise<string[]> {
  const urls = { shared: app.databaseUrl, ...app.placementUrls, gamma: gammaUrl };
  const found: string[] = [];
  for (const [name, url] of Object.entries(urls)) {
    const { rowCount } = await withSql(url, (c) => c.query(`select 1 from "${table}" where id = $1`, [id]));
    if (rowCount) found.push(name);
  }
  return found;
}

const createDocument = (token: string, title: string) => gqlOk(app, CreateDocumentDocument, { input: { title } }, { token }).then((d) => d.createDocument);
const titles = async (token: string) => (await gqlOk(app, DocumentsDocument, { first: 50 }, { token })).documents.edges.map((e) => e.node.title);

beforeAll(async () => {
  gammaUrl = await createTestDatabase();
  const target = new URL(gammaUrl);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  // A long routing cache, so that a stale entry is really used by the fencing test.
  app = await startApp({ PLACEMENT_CACHE_TTL_MS: '600000' }, undefined, { placements: ['acme', 'beta', { name: 'gamma', url: proxy.url(gammaUrl) }] });
});

afterAll(async () => {
  await app?.close();
  await proxy?.stop();
});

describe('organizations spread over placements', () => {
  it("each organization's reads and writes happen on its own placement's database, and nowhere else", async () => {
    const orgs = await Promise.all(['shared', 'acme', 'beta', 'gamma'].map((placement) => createOrg(app, { placement, documents: 2 })));
    const created = await Promise.all(orgs.map((org, i) => createDocument(org.owner.token, `written on placement ${i}`)));
    for (const [i, org] of orgs.entries()) {
      expect(await placementsHolding('document', created[i]!.id)).toEqual([['shared', 'acme', 'beta', 'gamma'][i]]);
      const seen = await titles(org.owner.token);
      expect(seen.sort()).toEqual([...org.documents.map((d) => d.title), `written on placement ${i}`].sort());
    }
  });

  it('the directory in the shared database names each organization\'s placement; a dedicated placement knows only its own', async () => {
    const org = await createOrg(app, { placement: 'beta' });
    const directory = await withSql(app.databaseUrl, (c) => c.query('select placement, state, placement_epoch from organization where id = $1', [org.id]));
    expect(directory.rows).toEqual([{ placement: 'beta', state: 'active', placement_epoch: 1 }]);
    const onAcme = await withSql(app.placementUrls.acme!, (c) => c.query('select 1 from organization where id = $1', [org.id]));
    expect(onAcme.rowCount).toBe(0);
  });
});

describe('a user with memberships on two placements', () => {
  it('signs in, lists both, switches between them, and is revoked at once on either', async () => {
    const email = `hybrid-${Date.now()}@example.test`;
    const own = await signUpAndConfirm(app, { email, password: TEST_PASSWORD, name: 'Hybrid User', organizationName: 'Own on shared' });
    const onAcme: TestOrg = await createOrg(app, { placement: 'acme', name: 'Acme Corp' });
    const onBeta: TestOrg = await createOrg(app, { placement: 'beta', name: 'Beta Corp' });
    await inviteAndAccept(app, onAcme.owner.token, { email, token: own.accessToken });
    await inviteAndAccept(app, onBeta.owner.token, { email, token: own.accessToken });

    // The dedicated placements hold a copy of the user, without the password hash.
    for (const placement of ['acme', 'beta']) {
      const copy = await withSql(app.placementUrls[placement]!, (c) => c.query('select email, password_hash from "user" where id = $1', [own.user.id]));
      expect(copy.rows).toEqual([{ email, password_hash: null }]);
    }

    const login = (await gqlOk(app, LoginDocument, { input: { email, password: TEST_PASSWORD } })).login;
    const me = (await gqlOk(app, MeDocument, {}, { token: login.accessToken })).me;
    expect(me.memberships.map((m) => m.organization.name).sort()).toEqual(['Acme Corp', 'Beta Corp', 'Own on shared']);

    const acmeToken = (await gqlOk(app, SwitchOrganizationDocument, { organizationId: onAcme.id }, { token: login.accessToken })).switchOrganization.accessToken;
    const betaToken = (await gqlOk(app, SwitchOrganizationDocument, { organizationId: onBeta.id }, { token: login.accessToken })).switchOrganization.accessToken;
    const onA = await createDocument(acmeToken, 'by the hybrid user on acme');
    const onB = await createDocument(betaToken, 'by the hybrid user on beta');
    expect(await placementsHolding('document', onA.id)).toEqual(['acme']);
    expect(await placementsHolding('document', onB.id)).toEqual(['beta']);
    expect(await titles(acmeToken)).toEqual(['by the hybrid user on acme']);
    expect(await titles(betaToken)).toEqual(['by the hybrid user on beta']);
    // `me` inside a dedicated organization still lists every organization (from the shared index).
    const meOnBeta = (await gqlOk(app, MeDocument, {}, { token: betaToken })).me;
    expect(meOnBeta.organization?.name).toBe('Beta Corp');
    expect(meOnBeta.memberships).toHaveLength(3);

    // Revoked on acme: the very next request with the acme token acts in no organization.
    await gqlOk(app, RemoveMemberDocument, { userId: own.user.id }, { token: onAcme.owner.token });
    const refused = await gql(app, DocumentsDocument, { first: 5 }, { token: acmeToken });
    expect(refused.data?.documents ?? null).toBeNull();
    expect(codes(refused)[0]).toMatch(/FORBIDDEN|UNAUTHENTICATED/);
    expect(await titles(betaToken)).toEqual(['by the hybrid user on beta']);
    const after = (await gqlOk(app, MeDocument, {}, { token: betaToken })).me;
    expect(after.memberships.map((m) => m.organization.name).sort()).toEqual(['Beta Corp', 'Own on shared']);
    const switchBack = await gql(app, SwitchOrganizationDocument, { organizationId: onAcme.id }, { token: login.accessToken });
    expect(codes(switchBack)).toEqual(['FORBIDDEN']);

    // And on beta.
    await gqlOk(app, RemoveMemberDocument, { userId: own.user.id }, { token: onBeta.owner.token });
    expect(codes(await gql(app, DocumentsDocument, { first: 5 }, { token: betaToken }))[0]).toMatch(/FORBIDDEN|UNAUTHENTICATED/);
  });
});

describe('sign-up with DEFAULT_PLACEMENT', () => {
  it('places the new organization on that placement; another instance on the same placements serves it', async () => {
    const env = Object.fromEntries(Object.entries({ ...app.placementUrls, gamma: proxy.url(gammaUrl) }).map(([n, u]) => [`PLACEMENT_${n.toUpperCase()}_URL`, u]));
    const second = await startApp({ ...env, DEFAULT_PLACEMENT: 'acme' }, app.databaseUrl);
    try {
      const email = `default-placement-${Date.now()}@example.test`;
      const signedUp = await signUpAndConfirm(second, { email, password: TEST_PASSWORD, name: 'On Acme', organizationName: 'Placed on acme' });
      const orgId = signedUp.organization!.id;
      const directory = await withSql(app.databaseUrl, (c) => c.query('select placement from organization where id = $1', [orgId]));
      expect(directory.rows).toEqual([{ placement: 'acme' }]);
      const onAcme = await withSql(app.placementUrls.acme!, (c) =>
        c.query(`select o.placement, o.state, m.role, u.password_hash from organization o join membership m on m.organization_id = o.id join "user" u on u.id = m.user_id where o.id = $1`, [orgId]),
      );
      expect(onAcme.rows).toEqual([{ placement: 'acme', state: 'active', role: 'OWNER', password_hash: null }]);
      // The first instance (DEFAULT_PLACEMENT=shared) serves it from acme all the same.
      const written = await createDocument(signedUp.accessToken, 'first document');
      expect(await placementsHolding('document', written.id)).toEqual(['acme']);
      expect((await gqlOk(second, MeDocument, {}, { token: signedUp.accessToken })).me.organization?.name).toBe('Placed on acme');
    } finally {
      await second.close();
    }
  });
});

describe('fencing', () => {
  it('a request routed by a stale cache is refused by the old placement\'s database and lands on the new one', async () => {
    const org = await createOrg(app, { placement: 'acme', documents: 1 });
    expect(await titles(org.owner.token)).toHaveLength(1); // the instance now caches "acme, epoch 1"

    // The organization is switched to beta behind the instance's back (what a move's last step
    // does): its rows copied, the directory and both placements updated with epoch 2.
    await switchPlacement(app, org.id, 'acme', 'beta');
    expect((await app.router.directory.lookup(org.id))?.placement).toBe('acme'); // still stale

    const written = await createDocument(org.owner.token, 'after the switch');
    expect(await placementsHolding('document', written.id)).toEqual(['beta']);
    expect((await app.router.directory.lookup(org.id))?.placement).toBe('beta');

    // The refusal itself, straight from each database: the old placement, and the old epoch on the new one.
    for (const url of [app.placementUrls.acme!, app.placementUrls.beta!]) {
      const err = await withSql(url, (c) => c.query('select * from enter_organization($1, $2, 1)', [org.id, org.owner.id])).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'TQ001' });
    }
  });
});

describe('a placement that is down', () => {
  it('affects only its own organizations: SERVICE_UNAVAILABLE with a retry hint for them, others served, /readyz says which', async () => {
    const [down, shared, acme] = await Promise.all([
      createOrg(app, { placement: 'gamma', documents: 1 }),
      createOrg(app, { placement: 'shared', documents: 1 }),
      createOrg(app, { placement: 'acme', documents: 1 }),
    ]);
    expect(await titles(down.owner.token)).toHaveLength(1);

    await proxy.stop();
    const refused = await gql(app, DocumentsDocument, { first: 5 }, { token: down.owner.token });
    expect(refused.status).toBe(503);
    expect(codes(refused)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(refused.errors?.[0]?.extensions?.retryAfter).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.raw).not.toMatch(/gamma|ECONN|127\.0\.0\.1|postgres/i);
    expect(await titles(shared.owner.token)).toHaveLength(1);
    expect(await titles(acme.owner.token)).toHaveLength(1);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { placements: { name: string; status: string }[] }).placements).toContainEqual({ name: 'gamma', status: 'unavailable' });

    await proxy.start();
    let back: string[] | undefined;
    for (let i = 0; i < 50 && !back; i++) {
      const res = await gql(app, DocumentsDocument, { first: 5 }, { token: down.owner.token });
      if (res.data) back = res.data.documents.edges.map((e) => e.node.title);
      else await sleep(200);
    }
    expect(back).toHaveLength(1);
  });
});
