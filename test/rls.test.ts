import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { ActivityEvent, Comment, Document, Invitation, Membership } from '../src/db/entities/index.js';
import { connectOrm, type Orm } from '../src/db/orm.js';
import { SERVING_ROLE, servingRoleProblems } from '../src/db/serving-role.js';
import { createServer } from '../src/server.js';
import { TenancyCheckError } from '../src/tenancy/startup-check.js';
import { inSession } from '../src/tenancy/rls-session.js';
import { forkForSystem, type TenantEntityManager } from '../src/tenancy/tenant-entity-manager.js';
import { startApp, type TestApp } from './support/app.js';
import { commandsDuring, writesOf } from './support/commands.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { snapshotOrg } from './support/guards-helpers.js';

// The second wall on its own: the ORM filter and TenantEntityManager's guards are switched off
// (a system scope) on the SERVING connections, so only PostgreSQL's row-level security stands
// between A's request and B's rows.

let app: TestApp;
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  app = await startApp();
  [a, b] = await Promise.all([createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 3 }), createOrg(app, { roles: ['OWNER'], documents: 3 })]);
  // A comment and an invitation in each organization, so those tables have rows to keep apart too.
  const sys = forkForSystem(app.orm.em, 'test: comments and invitations of both organizations');
  for (const org of [a, b]) {
    sys.create(Comment, { organizationId: org.id, documentId: org.documents[0]!.id, authorId: org.owner.id, body: `comment of ${org.name}`, createdAt: new Date() });
    sys.create(Invitation, {
      organizationId: org.id,
      email: `invited-${org.id}@example.test`,
      role: 'MEMBER',
      tokenHash: `hash-of-${org.id}`,
      invitedById: org.owner.id,
      expiresAt: new Date(Date.now() + 60_000),
    });
  }
  await sys.flush();
});
afterAll(() => app?.close());

/** As A's owner, in A's session, with every ORM-level guard off. */
const asA = <T>(work: (em: TenantEntityManager) => Promise<T>, orm: Orm = app.serving) =>
  inSession(forkForSystem(orm.em, 'test: RLS without the ORM wall'), { organizationId: a.id, userId: a.owner.id }, work);

const tenantTables = () =>
  Object.values(app.orm.getMetadata().getAll())
    .filter((m) => m.properties.organizationId)
    .map((m) => m.tableName);

describe('catalog', () => {
  it('the serving role is not superuser, has no BYPASSRLS, owns nothing and is a member of no other role', async () => {
    // Read straight from the catalog, not through servingRoleProblems (tested on its own below).
    const rows = await forkForSystem(app.serving.em, 'test').execute(
      `select current_user as who, r.rolsuper, r.rolbypassrls,
              (select count(*)::int from pg_class c where c.relowner = r.oid) as owned,
              (select array_agg(m.rolname) from pg_auth_members am join pg_roles m on m.oid = am.roleid where am.member = r.oid) as member_of
         from pg_roles r where r.rolname = current_user`,
    );
    expect(rows).toEqual([{ who: SERVING_ROLE, rolsuper: false, rolbypassrls: false, owned: 0, member_of: null }]);
    expect(await servingRoleProblems(app.serving)).toEqual([]);
  });

  it('every tenant table (found from the entity metadata) has RLS enabled and forced, with a policy', async () => {
    const tables = tenantTables();
    expect(tables.sort()).toEqual(['activity_event', 'comment', 'document', 'file', 'invitation', 'membership']);
    const rows = await forkForSystem(app.orm.em, 'test').execute<{ relname: string; enabled: boolean; forced: boolean; policies: number }[]>(
      `select c.relname, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
              (select count(*)::int from pg_policies p where p.tablename = c.relname and p.schemaname = 'public') as policies
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relname = any(string_to_array(?, ','))`,
      [tables.join(',')],
    );
    expect(rows).toHaveLength(tables.length);
    for (const row of rows) expect(row, row.relname).toMatchObject({ enabled: true, forced: true, policies: expect.any(Number) });
    for (const row of rows) expect(row.policies, row.relname).toBeGreaterThan(0);
  });
});

describe('with the ORM filter off, row-level security alone keeps B out', () => {
  it('reads: lists, by id, counts, QueryBuilder and raw SQL see only A', async () => {
    const bDoc = b.documents[0]!.id;
    await asA(async (em) => {
      const all = await em.find(Document, {});
      expect(new Set(all.map((d) => d.organizationId))).toEqual(new Set([a.id]));
      expect(await em.findOne(Document, bDoc)).toBeNull();
      expect(await em.count(Document, { organizationId: b.id })).toBe(0);
      expect(await em.createQueryBuilder(Document).where({ id: bDoc }).getResult()).toEqual([]);
      expect(await em.execute('select id from document where organization_id = ?', [b.id])).toEqual([]);
      expect(await em.find(ActivityEvent, { organizationId: b.id })).toEqual([]);
      expect(new Set((await em.find(Comment, {})).map((c) => c.organizationId))).toEqual(new Set([a.id]));
      expect(await em.find(Comment, { documentId: b.documents[0]!.id })).toEqual([]);
      expect(new Set((await em.find(Invitation, {})).map((i) => i.organizationId))).toEqual(new Set([a.id]));
      // Even with B's token hash in hand (what acceptInvitation looks up), A's session finds nothing.
      expect(await em.findOne(Invitation, { tokenHash: `hash-of-${b.id}` })).toBeNull();
      // Memberships: A's, plus the signed-in user's own (none in B here).
      expect(await em.find(Membership, { organizationId: b.id })).toEqual([]);
    });
  });

  it('writes: updates and deletes by reference, nativeUpdate/Delete and QueryBuilder reach PostgreSQL and change nothing of B', async () => {
    const before = await snapshotOrg(app, b.id);
    // Every statement below has rows of B to hit, were it not for the policy.
    expect([before.document.length, before.membership.length, before.comment.length, before.invitation?.length]).toEqual([3, 1, 1, 1]);
    const bDoc = b.documents[0]!.id;
    const { commands, error } = await commandsDuring(() =>
      asA(async (em) => {
        em.getReference(Document, bDoc).title = 'overwritten';
        await em.flush();
        em.remove(em.getReference(Document, b.documents[1]!.id));
        await em.flush();
        expect(await em.nativeUpdate(Document, { organizationId: b.id }, { title: 'x' })).toBe(0);
        expect(await em.nativeDelete(Document, { organizationId: b.id })).toBe(0);
        expect(await em.createQueryBuilder(Document).update({ title: 'qb' }).where({ organizationId: b.id }).execute('run')).toMatchObject({ affectedRows: 0 });
        expect(await em.execute('delete from membership where organization_id = ?', [b.id], 'run')).toMatchObject({ affectedRows: 0 });
        expect(await em.nativeUpdate(Comment, { organizationId: b.id }, { body: 'x' })).toBe(0);
        expect(await em.nativeDelete(Comment, { organizationId: b.id })).toBe(0);
        expect(await em.nativeUpdate(Invitation, { organizationId: b.id }, { revokedAt: new Date() })).toBe(0);
        expect(await em.nativeUpdate(Invitation, { tokenHash: `hash-of-${b.id}` }, { acceptedAt: new Date(), acceptedById: a.owner.id })).toBe(0);
        // Control: the same kind of statement on A's own row does change it, and is seen doing so.
        expect(await em.nativeUpdate(Document, { id: a.documents[2]!.id }, { title: a.documents[2]!.title })).toBe(1);
      }),
    );
    expect(error).toBeUndefined();
    // Each write was really sent, and PostgreSQL answered it with a count of 0 rows.
    expect(writesOf(commands)).toEqual([
      { command: 'UPDATE', table: 'document', rowCount: 0 },
      { command: 'DELETE', table: 'document', rowCount: 0 },
      { command: 'UPDATE', table: 'document', rowCount: 0 },
      { command: 'DELETE', table: 'document', rowCount: 0 },
      { command: 'UPDATE', table: 'document', rowCount: 0 },
      { command: 'DELETE', table: 'membership', rowCount: 0 },
      { command: 'UPDATE', table: 'comment', rowCount: 0 },
      { command: 'DELETE', table: 'comment', rowCount: 0 },
      { command: 'UPDATE', table: 'invitation', rowCount: 0 },
      { command: 'UPDATE', table: 'invitation', rowCount: 0 },
      { command: 'UPDATE', table: 'document', rowCount: 1 },
    ]);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('inserts, upserts and moves into B are refused by the policy', async () => {
    const before = await snapshotOrg(app, b.id);
    const refused = /row-level security|row level security/i;
    await expect(asA((em) => em.insert(Document, { id: randomUUID(), organizationId: b.id, title: 'planted', createdAt: new Date(), updatedAt: new Date() }))).rejects.toThrow(refused);
    // On the table's key (organization_id, id): the conflict is B's own row.
    await expect(
      asA((em) =>
        em.upsert(Document, { id: b.documents[2]!.id, organizationId: b.id, title: 'upserted', createdAt: new Date(), updatedAt: new Date() }, { onConflictFields: ['organizationId', 'id'] }),
      ),
    ).rejects.toThrow(refused);
    await expect(asA((em) => em.insert(Membership, { organizationId: b.id, userId: a.owner.id, role: 'OWNER', createdAt: new Date() }))).rejects.toThrow(refused);
    await expect(
      asA((em) => em.insert(ActivityEvent, { id: randomUUID(), organizationId: b.id, action: 'forged', createdAt: new Date() })),
    ).rejects.toThrow(refused);
    await expect(
      asA((em) => em.insert(Comment, { id: randomUUID(), organizationId: b.id, documentId: b.documents[2]!.id, body: 'planted', createdAt: new Date() })),
    ).rejects.toThrow(refused);
    await expect(
      asA((em) => em.insert(Invitation, { id: randomUUID(), organizationId: b.id, email: 'planted@example.test', role: 'OWNER', tokenHash: randomUUID(), createdAt: new Date(), expiresAt: new Date(Date.now() + 60_000) })),
    ).rejects.toThrow(refused);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('the audit trail is append-only for the serving role, even in its own organization', async () => {
    await expect(asA((em) => em.execute('update activity_event set action = ?', ['rewritten'], 'run'))).rejects.toThrow(/permission denied/i);
    await expect(asA((em) => em.execute('delete from activity_event', [], 'run'))).rejects.toThrow(/permission denied/i);
  });
});

describe('pooled connections', () => {
  let pool1: Orm;
  beforeAll(async () => {
    pool1 = await connectOrm({ clientUrl: app.databaseUrl, mode: 'multi_tenant', poolMax: 1, role: SERVING_ROLE });
  });
  afterAll(() => pool1?.close());

  it('a pool of one connection: A\'s transaction, then one that sets nothing, sees zero rows', async () => {
    const mine = await asA((em) => em.find(Document, {}), pool1);
    expect(mine.length).toBe(3);
    const em = forkForSystem(pool1.em, 'test: the same connection, nothing set');
    expect(await em.transactional((tx) => tx.find(Document, {}))).toEqual([]);
    expect(await em.find(Document, {})).toEqual([]); // outside any transaction, too
    expect(await em.execute('select count(*)::int as n from document')).toEqual([{ n: 0 }]);
  });
});

describe('query plan', () => {
  it('a tenant-scoped list uses the organization_id index with the policy on', async () => {
    // Enough rows across organizations that a sequential scan would not be chosen.
    const sys = forkForSystem(app.orm.em, 'test: bulk data');
    await sys.execute(
      `insert into organization (id, name, slug) select gen_random_uuid(), 'bulk', 'bulk-' || g || '-' || ? from generate_series(1, 50) g`,
      [randomUUID()],
    );
    await sys.execute(
      `insert into document (id, organization_id, title, created_at, updated_at)
       select gen_random_uuid(), o.id, 'bulk ' || g, now() - g * interval '1 second', now()
         from organization o cross join generate_series(1, 200) g where o.name = 'bulk'`,
    );
    await sys.execute('analyze document');
    const plan = await asA((em) =>
      em.execute<{ 'QUERY PLAN': unknown }[]>(
        `explain (format json) select * from document where archived_at is null order by created_at desc, id desc limit 21`,
      ),
    );
    const text = JSON.stringify(plan);
    expect(text).toContain('document_organization_id_created_at_id_idx');
    expect(text).not.toContain('"Seq Scan"');
  });
});

describe('start-up refuses a serving role that can bypass row-level security', () => {
  // Real roles on the real server (roles belong to the whole PostgreSQL cluster: unique names,
  // dropped after), and a table of this file's own database for the owner cases.
  const tag = randomBytes(4).toString('hex');
  const name = (what: string) => `tenantql_test_${tag}_${what}`;
  const table = `guard_owned_${tag}`;
  let superuser = '';
  /** Each case: the role requests would run as, and what the refusal must say. */
  const cases: { role: string; problem: RegExp }[] = [];
  const opened: Orm[] = [];

  const owner = (sql: string) => withSql(app.databaseUrl, (c) => c.query(sql));
  beforeAll(async () => {
    superuser = (await withSql(app.databaseUrl, (c) => c.query<{ u: string }>('select current_user as u'))).rows[0]!.u;
    await owner(`create role "${name('bypass')}" nologin nobypassrls`);
    await owner(`alter role "${name('bypass')}" bypassrls`);
    await owner(`create role "${name('owner')}" nologin nobypassrls`);
    await owner(`create table "${table}" (id int)`);
    await owner(`alter table "${table}" owner to "${name('owner')}"`);
    await owner(`create role "${name('owners_member')}" nologin nobypassrls in role "${name('owner')}"`);
    await owner(`create role "${name('bypass_member')}" nologin nobypassrls in role "${name('bypass')}"`);
    await owner(`create role "${name('super_member')}" nologin nobypassrls in role "${superuser}"`);
    const member = (role: string, of: string) => `requests run as ${role}, a member of ${of}`;
    cases.push(
      { role: name('bypass'), problem: new RegExp(`requests run as ${name('bypass')}, which has BYPASSRLS`) },
      { role: name('owner'), problem: new RegExp(`requests run as ${name('owner')}, which owns 1 table`) },
      { role: name('owners_member'), problem: new RegExp(`${member(name('owners_member'), name('owner'))}, which owns 1 table`) },
      { role: name('bypass_member'), problem: new RegExp(`${member(name('bypass_member'), name('bypass'))}, which has BYPASSRLS`) },
      { role: name('super_member'), problem: new RegExp(`${member(name('super_member'), superuser)}, a superuser role`) },
    );
  });
  afterAll(async () => {
    await Promise.all(opened.map((orm) => orm.close()));
    await owner(`drop table if exists "${table}"`);
    for (const role of ['super_member', 'bypass_member', 'owners_member', 'owner', 'bypass']) await owner(`drop role if exists "${name(role)}"`);
  });

  /** createServer over serving connections that run as `role`, with the warnings it logs. */
  async function start(role: string | undefined, nodeEnv: 'production' | 'development') {
    const orm = await connectOrm({ clientUrl: app.databaseUrl, mode: 'multi_tenant', poolMax: 1, role });
    opened.push(orm);
    const [who] = await forkForSystem(orm.em, 'test: who requests run as').execute<{ current_user: string }[]>('select current_user');
    expect(who?.current_user, 'the connections really run as the role under test').toBe(role ?? superuser);
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const config = loadConfig({ NODE_ENV: nodeEnv, JWT_SECRET: 'x'.repeat(40), DATABASE_URL: app.databaseUrl });
    const started = createServer({ config, orm, logger }).then(
      async (server) => (await server.close(), null),
      (err: unknown) => err,
    );
    return { error: await started, warnings: warnings.join('\n') };
  }

  it('control: the real serving role starts in production, with no row-level-security warning', async () => {
    const { error, warnings } = await start(SERVING_ROLE, 'production');
    expect(error).toBeNull();
    // Other start-up warnings (the mail outbox in production, for one) are not this check's.
    expect(warnings).not.toMatch(/row-level security|serving role|requests run as/i);
  });

  it('production: a superuser, a BYPASSRLS role, a table owner, and members of each, are refused, the problem named', async () => {
    const all = [{ role: undefined, problem: new RegExp(`requests run as ${superuser}, a superuser`) }, ...cases];
    for (const { role, problem } of all) {
      const { error } = await start(role, 'production');
      expect(error, `${role ?? superuser}: refused`).toBeInstanceOf(TenancyCheckError);
      expect((error as TenancyCheckError).problems.join('\n'), role ?? superuser).toMatch(problem);
      expect((error as Error).message, role ?? superuser).toMatch(/refusing to start/);
    }
  });

  it('development: the same roles start, with a warning naming the problem', async () => {
    for (const { role, problem } of cases) {
      const { error, warnings } = await start(role, 'development');
      expect(error, role).toBeNull();
      expect(warnings, role).toMatch(/row-level security is NOT enforced/);
      expect(warnings, role).toMatch(problem);
    }
  });
});
