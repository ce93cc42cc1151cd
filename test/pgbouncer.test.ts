import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { CreateDocumentDocument, DocumentsDocument, LoginDocument, MeDocument } from '../src/client/generated/graphql.js';
import { Document } from '../src/db/entities/index.js';
import { connectOrm } from '../src/db/orm.js';
import { servingConnection } from '../src/db/serving-connection.js';
import { SERVING_ROLE, servingRoleProblems } from '../src/db/serving-role.js';
import { createServer } from '../src/server.js';
import { inSession } from '../src/tenancy/rls-session.js';
import { forkForSystem } from '../src/tenancy/tenant-entity-manager.js';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, TEST_PASSWORD, type TestOrg } from './support/factories.js';
import { gqlOk } from './support/graphql.js';
import { switchPlacement } from './support/placement-switch.js';
import { PGBOUNCER, PGBOUNCER_SKIP_REASON, pgbouncerAvailable, pgbouncerMissing, startPgbouncer, type Pgbouncer, type PgbouncerLogin } from './support/pgbouncer.js';

// Two instances of the app on one database: `direct` connects straight to PostgreSQL (SET ROLE
// per connection, the default), `pooled` through a pgbouncer in pool_mode=transaction with two
// server connections per login (DB_POOL_MODE=transaction, its own serving login). Both must give
// the same answers, keep organizations apart, and run every request query as tenantql_app.

const POOL_SIZE = 2;
let direct: TestApp;
let pooled: TestApp;
let bouncer: Pgbouncer | undefined;
let owner: PgbouncerLogin;
let serving: PgbouncerLogin;
let orgs: TestOrg[];

const shuffled = <T>(items: T[]) => items.map((item) => [Math.random(), item] as const).sort((x, y) => x[0] - y[0]).map(([, item]) => item);
/** Runs `sql` `times` times at once on an ORM's pool, so the calls spread over its connections. */
/** createServer's start-up checks for a serving pool configured by `env` (DATABASE_URL the owner's). */
async function startServing(env: Record<string, string>): Promise<void> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, ...env });
  const orm = await connectOrm({ ...servingConnection(config.database, config.database.url!), mode: config.mode, poolMax: 4 });
  try {
    const server = await createServer({ config, orm, logger: pino({ level: 'silent' }) });
    await server.close();
  } finally {
    await orm.close();
  }
}
const concurrently = (app: TestApp, which: 'orm' | 'serving', sql: string, times = 20) =>
  Promise.all(Array.from({ length: times }, () => forkForSystem(app[which].em, 'test: who runs this').execute<{ who: string }[]>(sql)));

describe.skipIf(pgbouncerMissing())(`two instances, one behind pgbouncer in transaction pooling mode (${PGBOUNCER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    // CI installs pgbouncer (.ci/run): there, a missing binary is a failure, not a skip.
    if (!pgbouncerAvailable()) throw new Error(`CI has no ${PGBOUNCER}: .ci/run should have installed it`);
    // Both instances on the same placements (the shared database and two dedicated ones), with a
    // long routing cache: a placement change must be seen by both through fencing alone.
    direct = await startApp({ PLACEMENT_CACHE_TTL_MS: '600000' }, undefined, { placements: ['acme', 'beta'] });
    const url = new URL(direct.databaseUrl);
    const database = decodeURIComponent(url.pathname.slice(1));
    owner = { user: decodeURIComponent(url.username) || 'postgres', password: decodeURIComponent(url.password) };
    // Roles are cluster-wide: a name of its own, dropped afterwards. A member of tenantql_app and nothing else.
    serving = { user: `tenantql_serving_${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('hex') };
    await withSql(direct.databaseUrl, (c) => c.query(`create role "${serving.user}" login password '${serving.password}' in role "${SERVING_ROLE}"`));
    bouncer = await startPgbouncer(direct.databaseUrl, [owner, serving], { poolSize: POOL_SIZE });
    // The owner's pool (migrations, factories) goes through the same pgbouncer: it must never pick up the serving role.
    const placementDatabase = (name: string) => decodeURIComponent(new URL(direct.placementUrls[name]!).pathname.slice(1));
    pooled = await startApp(
      {
        DB_POOL_MODE: 'transaction',
        DATABASE_SERVING_URL: bouncer.url(serving, database),
        DB_POOL_MAX: '8',
        PLACEMENT_CACHE_TTL_MS: '600000',
        PLACEMENT_ACME_URL: bouncer.url(owner, placementDatabase('acme')),
        PLACEMENT_BETA_URL: bouncer.url(owner, placementDatabase('beta')),
      },
      bouncer.url(owner, database),
    );
    // One organization on each placement (createOrg places them in turn: acme, beta, shared).
    orgs = [];
    for (let i = 0; i < 3; i++) orgs.push(await createOrg(direct, { roles: ['OWNER', 'MEMBER'], documents: 3 }));
  });
  afterAll(async () => {
    await pooled?.close();
    await bouncer?.stop();
    if (serving) await withSql(direct.databaseUrl, (c) => c.query(`drop role if exists "${serving.user}"`));
    await direct?.close();
  });

  it('interleaved requests of three organizations through both give the same answers, each its own documents', async () => {
    const calls = shuffled(
      orgs.flatMap((org) => [direct, pooled].flatMap((app) => org.users.flatMap((user) => [0, 1, 2].map(() => ({ org, app, user }))))),
    );
    const answers = await Promise.all(
      calls.map(async ({ org, app, user }) => {
        const [docs, me] = await Promise.all([gqlOk(app, DocumentsDocument, { first: 10 }, { token: user.token }), gqlOk(app, MeDocument, undefined, { token: user.token })]);
        return { org, app, docs, me };
      }),
    );
    for (const org of orgs) {
      const mine = answers.filter((a) => a.org === org);
      expect(new Set(mine.map((a) => a.app))).toEqual(new Set([direct, pooled]));
      const titles = org.documents.map((d) => d.title).sort();
      for (const { docs, me } of mine) {
        expect(docs.documents.edges.map((e) => e.node.title).sort()).toEqual(titles);
        expect(me.me.organization?.id).toBe(org.id);
        // Same answer from either instance (cursors included).
        expect(docs).toEqual(mine[0]!.docs);
      }
    }
  });

  it('a write through either instance is read through the other, and by no other organization', async () => {
    const [a, b] = orgs as [TestOrg, TestOrg];
    const viaPooled = await gqlOk(pooled, CreateDocumentDocument, { input: { title: `pooled write ${randomBytes(3).toString('hex')}` } }, { token: a.owner.token });
    const viaDirect = await gqlOk(direct, CreateDocumentDocument, { input: { title: `direct write ${randomBytes(3).toString('hex')}` } }, { token: a.owner.token });
    const titles = async (app: TestApp, org: TestOrg) => (await gqlOk(app, DocumentsDocument, { first: 50 }, { token: org.owner.token })).documents.edges.map((e) => e.node.title);
    const written = [viaPooled.createDocument.title, viaDirect.createDocument.title];
    for (const app of [direct, pooled]) {
      expect(await titles(app, a)).toEqual(expect.arrayContaining(written));
      expect(await titles(app, b)).not.toEqual(expect.arrayContaining([written[0]]));
      expect(await titles(app, b)).not.toEqual(expect.arrayContaining([written[1]]));
    }
  });

  it('sign-in (its user lookup runs outside a request transaction) works through pgbouncer, and its token on the other instance', async () => {
    const user = orgs[1]!.users[1]!;
    const { login } = await gqlOk(pooled, LoginDocument, { input: { email: user.email, password: TEST_PASSWORD } });
    expect(login.user.id).toBe(user.id);
    const { me } = await gqlOk(direct, MeDocument, undefined, { token: login.accessToken });
    expect(me.organization?.id).toBe(orgs[1]!.id);
  });

  it('every serving statement through pgbouncer runs as the serving login, under row-level security', async () => {
    const who = await concurrently(pooled, 'serving', 'select current_user as who');
    expect(new Set(who.flat().map((r) => r.who))).toEqual(new Set([serving.user]));
    expect(await servingRoleProblems(pooled.serving)).toEqual([]);
    // The ORM's tenant filter off (a system scope): only row-level security decides.
    const unscoped = forkForSystem(pooled.serving.em, 'test: RLS alone through pgbouncer');
    expect(await unscoped.find(Document, {})).toEqual([]);
    // The shared database's organization (pooled.serving is the shared placement's pool).
    const a = orgs.find((o) => o.placement === 'shared')!;
    const inA = await inSession(unscoped, { organizationId: a.id, userId: a.owner.id }, (em) => em.find(Document, {}));
    expect(new Set(inA.map((d) => d.organizationId))).toEqual(new Set([a.id]));
    // pgbouncer really shares: the app's pool of 8 reaches PostgreSQL through at most POOL_SIZE
    // sessions (per database: pgbouncer pools per login and database, and each placement is one).
    const sessions = await withSql(direct.databaseUrl, (c) =>
      c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where usename = $1 and datname = current_database()', [serving.user]),
    );
    expect(sessions.rows[0]!.n).toBeGreaterThan(0);
    expect(sessions.rows[0]!.n).toBeLessThanOrEqual(POOL_SIZE);
  });

  it('the owner\'s connections through the same pgbouncer never run as the serving role', async () => {
    // Serving traffic first, so that a leaked session-level SET ROLE would be on pgbouncer's server connections.
    await Promise.all(orgs.map((org) => gqlOk(pooled, DocumentsDocument, { first: 5 }, { token: org.owner.token })));
    const who = await concurrently(pooled, 'orm', 'select current_user as who');
    expect(new Set(who.flat().map((r) => r.who))).toEqual(new Set([owner.user]));
  });

  it('an instance configured for sessions (SET ROLE) refuses to start behind transaction pooling, and starts behind session pooling', async () => {
    const database = new URL(direct.databaseUrl).pathname.slice(1);
    const sharedSession = /two serving connections shared one PostgreSQL session/;
    await expect(startServing({ DATABASE_URL: bouncer!.url(owner, database) })).rejects.toThrow(sharedSession);
    // Its own login, but named statements (DB_POOL_MODE left at session): refused too.
    await expect(startServing({ DATABASE_URL: direct.databaseUrl, DATABASE_SERVING_URL: bouncer!.url(serving, database) })).rejects.toThrow(sharedSession);
    const sessionPooler = await startPgbouncer(direct.databaseUrl, [owner], { poolSize: POOL_SIZE, poolMode: 'session' });
    try {
      await startServing({ DATABASE_URL: sessionPooler.url(owner, database) });
    } finally {
      await sessionPooler.stop();
    }
  });

  it('a placement change is seen by both instances: each is fenced off the old placement and writes land on the new one only', async () => {
    const org = await createOrg(direct, { placement: 'acme', documents: 1 });
    const token = org.owner.token;
    for (const app of [direct, pooled]) expect((await gqlOk(app, DocumentsDocument, { first: 5 }, { token })).documents.edges).toHaveLength(1);

    await switchPlacement(direct, org.id, 'acme', 'beta');
    const written = [];
    for (const app of [pooled, direct]) {
      written.push((await gqlOk(app, CreateDocumentDocument, { input: { title: `after the switch, through ${app === pooled ? 'pgbouncer' : 'a direct pool'}` } }, { token })).createDocument.id);
      expect((await app.router.directory.lookup(org.id))?.placement).toBe('beta');
    }
    const onPlacement = async (name: string) =>
      (await withSql(direct.placementUrls[name]!, (c) => c.query('select id from document where organization_id = $1', [org.id]))).rows.map((r: { id: string }) => r.id);
    expect(await onPlacement('beta')).toEqual(expect.arrayContaining(written));
    expect(await onPlacement('acme')).toEqual([org.documents[0]!.id]);
    for (const app of [direct, pooled]) expect((await gqlOk(app, DocumentsDocument, { first: 5 }, { token })).documents.edges).toHaveLength(3);
  });
});
