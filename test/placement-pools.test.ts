import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentsDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { codes, gql } from './support/graphql.js';

// The placement pools' bounds (src/tenancy/placement/placement-pools.ts), seen from outside: the
// connections each placement's serving pool holds open on its database (pg_stat_activity, by the
// application_name the pool sets) and /readyz, while organizations on each placement make requests.

/**
 * Serving connections of `placement`'s pool open on its database. pg_stat_activity is the whole
 * server's: other test files (and a second suite on a shared TEST_DATABASE_URL) name their
 * placements `acme` too, so only this app's database counts.
 */
const servingConnections = (app: TestApp, placement: string) =>
  withSql(app.placementUrls[placement]!, async (c) =>
    (
      await c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1 and datname = current_database()', [
        `tenantql placement:${placement}`,
      ])
    ).rows[0]!.n,
  );

/** Polls until `servingConnections` is `expected` (a closed backend leaves pg_stat_activity a moment later), or gives up after `ms`. */
async function connectionsSettle(app: TestApp, placement: string, expected: (n: number) => boolean, ms = 5_000): Promise<number> {
  const until = Date.now() + ms;
  let n = await servingConnections(app, placement);
  while (!expected(n) && Date.now() < until) {
    await sleep(100);
    n = await servingConnections(app, placement);
  }
  return n;
}

async function readiness(app: TestApp): Promise<Record<string, string>> {
  const body = (await (await fetch(`${app.url}/readyz`)).json()) as { placements: { name: string; status: string }[] };
  return Object.fromEntries(body.placements.map((p) => [p.name, p.status]));
}

const list = (app: TestApp, org: TestOrg) => gql(app, DocumentsDocument, { first: 5 }, { token: org.owner.token });

describe('DB_POOL_TOTAL_MAX: room for shared + two dedicated pools of DB_POOL_MAX', () => {
  let app: TestApp;
  const orgs: Record<string, TestOrg> = {};

  beforeAll(async () => {
    app = await startApp({ DB_POOL_MAX: '2', DB_POOL_TOTAL_MAX: '6', PLACEMENT_POOL_IDLE_MS: '600000' }, undefined, { placements: ['acme', 'beta', 'gamma'] });
    for (const p of ['acme', 'beta', 'gamma']) orgs[p] = await createOrg(app, { placement: p, documents: 1 });
  });
  afterAll(() => app?.close());

  it('a third placement closes the least recently used idle pool, whose connections go; it reopens when asked for', async () => {
    // Start-up checked all three and kept two open.
    expect(Object.values(await readiness(app)).filter((s) => s === 'ready')).toHaveLength(3);
    for (const p of ['acme', 'beta']) expect((await list(app, orgs[p]!)).data?.documents.edges).toHaveLength(1);
    expect(await servingConnections(app, 'acme')).toBeGreaterThan(0);
    expect(await readiness(app)).toMatchObject({ acme: 'ready', beta: 'ready', gamma: 'idle' });

    expect((await list(app, orgs.gamma!)).data?.documents.edges).toHaveLength(1);
    expect(await connectionsSettle(app, 'acme', (n) => n === 0)).toBe(0);
    expect(await readiness(app)).toMatchObject({ acme: 'idle', beta: 'ready', gamma: 'ready' });

    // acme again: beta is now the least recently used.
    expect((await list(app, orgs.acme!)).data?.documents.edges).toHaveLength(1);
    expect(await connectionsSettle(app, 'beta', (n) => n === 0)).toBe(0);
    expect(await readiness(app)).toMatchObject({ acme: 'ready', beta: 'idle', gamma: 'ready' });
  });

  it('with every open pool busy, another placement gets SERVICE_UNAVAILABLE (no pool is closed under work) until one is free', async () => {
    const held = [await app.router.pools.acquire('acme'), await app.router.pools.acquire('gamma')];
    try {
      const refused = await list(app, orgs.beta!);
      expect(refused.status).toBe(503);
      expect(codes(refused)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(refused.raw).not.toMatch(/DB_POOL_TOTAL_MAX|beta|postgres/i);
      expect(await servingConnections(app, 'acme')).toBeGreaterThan(0);
    } finally {
      for (const h of held) h.release();
    }
    let served: unknown;
    for (let i = 0; i < 20 && !served; i++) {
      served = (await list(app, orgs.beta!)).data;
      if (!served) await sleep(200); // the refusal is remembered for a moment (retry after 1 s)
    }
    expect(served).toBeTruthy();
  });

  it('requests for three closed placements at once open at most two pools: the third waits for room or is told to retry', async () => {
    await app.router.pools.close();
    const answers = await Promise.all(['acme', 'beta', 'gamma'].map((p) => list(app, orgs[p]!)));
    for (const res of answers) expect(res.data ? 'served' : codes(res)[0]).toMatch(/^(served|SERVICE_UNAVAILABLE)$/);
    const open = await Promise.all(['acme', 'beta', 'gamma'].map((p) => servingConnections(app, p)));
    expect(open.filter((n) => n > 0).length, `serving connections per placement: ${open.join(', ')}`).toBeLessThanOrEqual(2);
    expect(open.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4);
  });
});

describe('PLACEMENT_POOL_IDLE_MS', () => {
  it("closes a placement's pool unused that long, and opens it again on the next request", async () => {
    const app = await startApp({ PLACEMENT_POOL_IDLE_MS: '1000' }, undefined, { placements: ['acme'] });
    try {
      const org = await createOrg(app, { placement: 'acme', documents: 1 });
      expect((await list(app, org)).data?.documents.edges).toHaveLength(1);
      expect(await servingConnections(app, 'acme')).toBeGreaterThan(0);
      expect(await connectionsSettle(app, 'acme', (n) => n === 0, 6_000)).toBe(0);
      expect((await readiness(app)).acme).toBe('idle');
      expect((await list(app, org)).data?.documents.edges).toHaveLength(1);
      expect((await readiness(app)).acme).toBe('ready');
    } finally {
      await app.close();
    }
  });
});

describe("a placement's connection dropped by the server", () => {
  it("is logged through the app's logger with the pool's name (not knex's console line) when the pool next hands it out, and that request is served", async () => {
    const lines: { level: number; msg: string; pool?: string }[] = [];
    const app = await startApp({ LOG_LEVEL: 'warn' }, undefined, {
      placements: ['acme'],
      logStream: { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string; pool?: string }) },
    });
    try {
      const org = await createOrg(app, { placement: 'acme', documents: 1 });
      expect((await list(app, org)).data?.documents.edges).toHaveLength(1);
      await withSql(app.placementUrls.acme!, (c) => c.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'tenantql placement:acme' and datname = current_database()"));
      await connectionsSettle(app, 'acme', (n) => n === 0);
      // knex notices the dead connection when the pool hands it out again, drops it and logs.
      expect((await list(app, org)).data?.documents.edges).toHaveLength(1);
      const logged = lines.filter((l) => /Connection Error/.test(l.msg));
      expect(logged.length, JSON.stringify(lines)).toBeGreaterThan(0);
      for (const line of logged) expect(line).toMatchObject({ level: 40, pool: 'tenantql placement:acme' });
    } finally {
      await app.close();
    }
  });
});
