import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDocumentDocument, DocumentsDocument, LoginDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { createTestDatabase, withSql } from './support/database.js';
import { leaks } from './support/documents-helpers.js';
import { createOrg, TEST_PASSWORD, type TestOrg } from './support/factories.js';
import { codes, gql, gqlOk, type GraphQLResponse } from './support/graphql.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { tenant } from './support/tenant-cli.js';

// README's error table: SERVICE_UNAVAILABLE and TENANT_MOVING are HTTP 503 with a Retry-After
// header (and extensions.retryAfter), however they arise: a database that goes away under a
// running server (on the shared database or a placement; reads, writes, sign-in) or a write
// during a move's pause. Over real databases behind TCP proxies this test cuts, and real HTTP.

/** `url` (through a proxy of this test) pointed at the database server itself. */
const directUrl = (url: string) => {
  const u = new URL(url);
  const server = new URL(directServer);
  u.hostname = server.hostname;
  u.port = server.port;
  return u.toString();
};
let directServer = '';

/** Words of the driver, the pool or the database that must never reach a client. */
const INTERNALS = [/ECONNREFUSED|ECONNRESET|EPIPE/i, /terminat/i, /\bpool\b/i, /knex|tarn/i, /connection/i, /postgres/i, /\bat .*\.ts:\d+/];

function expectRetryLater(res: GraphQLResponse<unknown>, code: 'SERVICE_UNAVAILABLE' | 'TENANT_MOVING', what: string): void {
  expect(res.status, `${what}: ${res.raw}`).toBe(503);
  expect(codes(res), `${what}: ${res.raw}`).toEqual([code]);
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter, `${what}: Retry-After header`).toMatch(/^[1-9]\d*$/);
  expect(res.errors?.[0]?.extensions?.retryAfter, `${what}: extensions.retryAfter`).toBe(Number(retryAfter));
  expect([...leaks(res.raw), ...INTERNALS.filter((re) => re.test(res.raw)).map(String)], `${what}: ${res.raw}`).toEqual([]);
}

describe('a database that goes away under a running server: 503 SERVICE_UNAVAILABLE + Retry-After on every path', () => {
  let app: TestApp;
  let sharedProxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let gammaProxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let onShared: TestOrg;
  let onGamma: TestOrg;
  beforeAll(async () => {
    const [sharedUrl, gammaUrl] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    directServer = sharedUrl;
    const target = new URL(sharedUrl);
    sharedProxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    gammaProxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    app = await startApp({ PLACEMENT_CACHE_TTL_MS: '600000', DB_POOL_MAX: '4' }, sharedProxy.url(sharedUrl), { placements: [{ name: 'gamma', url: gammaProxy.url(gammaUrl) }] });
    onShared = await createOrg(app, { placement: 'shared', documents: 1 });
    onGamma = await createOrg(app, { placement: 'gamma', documents: 1 });
  }, 60_000);
  afterAll(async () => {
    await sharedProxy?.start().catch(() => undefined);
    await gammaProxy?.start().catch(() => undefined);
    await app?.close();
    await sharedProxy?.stop();
    await gammaProxy?.stop();
  });

  /** Warm pools first: the cut then breaks connections in use as well as new ones. */
  const warmUp = async () => {
    for (const org of [onShared, onGamma]) await gqlOk(app, DocumentsDocument, { first: 5 }, { token: org.owner.token });
  };
  const calls = (org: TestOrg) => [
    ['documents', () => gql(app, DocumentsDocument, { first: 5 }, { token: org.owner.token })],
    ['createDocument', () => gql(app, CreateDocumentDocument, { input: { title: 'during the outage' } }, { token: org.owner.token })],
  ] as const;

  it('a placement down (its pool warm, then cold): reads and writes of its organizations', async () => {
    await warmUp();
    await gammaProxy.stop();
    try {
      for (const round of ['warm', 'cold']) {
        for (const [name, call] of calls(onGamma)) expectRetryLater(await call(), 'SERVICE_UNAVAILABLE', `${round} ${name} on gamma`);
      }
      // Other organizations are served.
      await gqlOk(app, DocumentsDocument, { first: 5 }, { token: onShared.owner.token });
    } finally {
      await gammaProxy.start();
    }
  });

  it('the shared database down: reads, writes and sign-in, for organizations on it and on a placement', async () => {
    await warmUp();
    await sharedProxy.stop();
    try {
      for (const round of ['warm', 'cold']) {
        for (const org of [onShared, onGamma]) {
          for (const [name, call] of calls(org)) {
            const res = await call();
            // An organization on a placement needs the shared database only for its user's account on some paths: either it is served, or refused as an outage.
            if (org === onGamma && res.status === 200 && !res.errors) continue;
            expectRetryLater(res, 'SERVICE_UNAVAILABLE', `${round} ${name} of the ${org === onShared ? 'shared' : 'gamma'} organization`);
          }
        }
        const login = await gql(app, LoginDocument, { input: { email: onShared.owner.email, password: TEST_PASSWORD } });
        expectRetryLater(login, 'SERVICE_UNAVAILABLE', `${round} login`);
      }
    } finally {
      await sharedProxy.start();
    }
    // And it recovers by itself.
    await expect.poll(async () => (await gql(app, DocumentsDocument, { first: 5 }, { token: onShared.owner.token })).status, { timeout: 10_000 }).toBe(200);
  });

  it('a request whose connection an administrator terminates mid-transaction (57P01): 503, not 500', async () => {
    for (const [placement, org] of [['shared', onShared], ['gamma', onGamma]] as const) {
      // The owner's connection (not through a proxy) holds a lock the request's INSERT waits for,
      // so the request's transaction is open when its backend is terminated.
      const direct = placement === 'shared' ? directUrl(app.databaseUrl) : directUrl(app.databaseUrlOf('gamma'));
      await withSql(direct, async (locker) => {
        await locker.query('begin');
        await locker.query('lock table document in access exclusive mode');
        const pending = gql(app, CreateDocumentDocument, { input: { title: 'terminated' } }, { token: org.owner.token });
        await expect
          .poll(async () => (await locker.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()")).rows[0].n, { timeout: 5_000 })
          .toBeGreaterThan(0);
        await locker.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()");
        await locker.query('rollback');
        expectRetryLater(await pending, 'SERVICE_UNAVAILABLE', `createDocument on ${placement}, its backend terminated`);
      });
    }
  });
});

describe('TENANT_MOVING: 503 + Retry-After during a move pause (npm run tenant -- move --stop-after paused)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ PLACEMENT_CACHE_TTL_MS: '0' }, undefined, { placements: ['acme', 'beta'] });
  }, 60_000);
  afterAll(() => app?.close());

  it('a write while paused is 503 TENANT_MOVING with Retry-After; reads go on (200)', async () => {
    const org = await createOrg(app, { placement: 'acme', documents: 2 });
    const slug = (await withSql(app.databaseUrl, (c) => c.query<{ slug: string }>('select slug from organization where id = $1', [org.id]))).rows[0]!.slug;
    const env = { DATABASE_URL: app.databaseUrl, PLACEMENT_ACME_URL: app.placementUrls.acme!, PLACEMENT_BETA_URL: app.placementUrls.beta! };
    const paused = await tenant(['move', slug, '--to', 'beta', '--stop-after', 'paused'], env);
    expect(paused.code, paused.stderr).toBe(1);
    try {
      const write = await gql(app, CreateDocumentDocument, { input: { title: 'while paused' } }, { token: org.owner.token });
      expectRetryLater(write, 'TENANT_MOVING', 'createDocument while paused');
      expect(write.headers.get('retry-after')).toBe('2');
      const read = await gql(app, DocumentsDocument, { first: 5 }, { token: org.owner.token });
      expect(read.status, read.raw).toBe(200);
      expect(read.headers.get('retry-after')).toBeNull();
    } finally {
      const aborted = await tenant(['move', slug, '--abort'], env);
      expect(aborted.code, aborted.stderr).toBe(0);
    }
  });
});
