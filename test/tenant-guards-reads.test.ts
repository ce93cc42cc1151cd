/**
 * tenancy-threats.md, section 1, read side: every row of the table at the ORM level, against the
 * real PostgreSQL. A is the caller, B the other organization; B's rows are checked with plain SQL.
 * (Write paths: tenant-guards-writes.test.ts; QueryBuilder, raw SQL, native writes, the result
 * cache and the global EM: tenant-guards-raw.test.ts. "An entity left out of the filter's list" is
 * covered elsewhere.)
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, type EntityManager } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityEvent, Document, Membership } from '../src/db/entities/index.js';
import { TenantIsolationError } from '../src/tenancy/errors.js';
import { forkForSystem, forkForTenant, forkForUser, TenantEntityManager } from '../src/tenancy/tenant-entity-manager.js';
import type { TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { snapshotOrg, sqlSentDuring, setupTwoOrganizations } from './support/guards-helpers.js';

let app: TestApp;
let a: TestOrg;
let b: TestOrg;
let bDocId: string;
let bMemberId: string; // a user who belongs to B only
let bEventId: string;
const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

beforeAll(async () => {
  ({ app, a, b, bDocId, bMemberId, bEventId } = await setupTwoOrganizations(3));
});
afterAll(() => app?.close());

const tenantEm = () => forkForTenant(app.orm.em, a.id);
/** B's document, loaded where loading it is legitimate. */
const loadB = async () => {
  const sys = forkForSystem(app.orm.em, 'test: holds B');
  return { sys, doc: await sys.findOneOrFail(Document, bDocId) };
};

/** Every read of a tenant EM by B's document id gives nothing of B, and lists give only A's rows. */
async function expectNothingOfB(em: TenantEntityManager) {
  expect(await em.findOne(Document, bDocId)).toBeNull();
  expect(await em.findOne(Document, { id: bDocId })).toBeNull();
  expect(await em.find(Document, { id: bDocId })).toEqual([]);
  expect(ids(await em.find(Document, {}))).toEqual(ids(a.documents));
  expect(await em.count(Document, { id: bDocId })).toBe(0);
  await expect(em.findOneOrFail(Document, bDocId)).rejects.toThrow(NotFoundError);
}

describe('section 1: identity-map hits', () => {
  it('identity-map hit: em.merge / em.map of B\'s Document into a tenant EM throw; B\'s id then reads as nothing', async () => {
    const before = await snapshotOrg(app, b.id);
    const { doc } = await loadB();
    const row = await withSql(app.databaseUrl, (c) => c.query('select * from document where id = $1', [bDocId]));
    const em = tenantEm();
    expect(() => em.merge(doc)).toThrow(TenantIsolationError);
    expect(() => em.merge(Document, { id: bDocId, organizationId: b.id, title: doc.title })).toThrow(TenantIsolationError);
    expect(() => em.map(Document, row.rows[0])).toThrow(TenantIsolationError);
    expect(em.getUnitOfWork().getById('Document', bDocId)).toBeUndefined();
    await expectNothingOfB(em);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  const routes: [string, () => Promise<TenantEntityManager>][] = [
    [
      'fork({ clear: false }) of a system EM holding B\'s row',
      async () => {
        const { sys } = await loadB();
        const em = sys.fork({ clear: false });
        em.scope = { kind: 'tenant', organizationId: a.id };
        em.setFilterParams('tenant', { organizationId: a.id });
        return em;
      },
    ],
    [
      'getUnitOfWork().register() of B\'s loaded entity',
      async () => {
        const { doc } = await loadB();
        const em = tenantEm();
        em.getUnitOfWork().register(doc);
        return em;
      },
    ],
  ];
  it.each(routes)('identity-map hit via %s: findOne(id) / findOne({ id }) / find / findOneOrFail give nothing of B, a change is refused at flush', async (_route, poison) => {
    const before = await snapshotOrg(app, b.id);
    const em = await poison();
    const cached = em.getUnitOfWork().getById<Document>('Document', bDocId);
    expect(cached?.organizationId).toBe(b.id); // precondition: B's row really is in this identity map
    await expectNothingOfB(em);
    cached!.title = 'overwritten through the identity map';
    await expect(em.flush()).rejects.toThrow(TenantIsolationError);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('identity-map hit on Membership (composite PK): B\'s membership registered in a tenant EM is not returned by id', async () => {
    const before = await snapshotOrg(app, b.id);
    const sys = forkForSystem(app.orm.em, 'test: holds B');
    const membership = await sys.findOneOrFail(Membership, { organizationId: b.id, userId: bMemberId });
    const em = tenantEm();
    expect(() => em.merge(membership)).toThrow(TenantIsolationError);
    em.getUnitOfWork().register(membership);
    expect(em.getUnitOfWork().getById('Membership', [b.id, bMemberId])).toBe(membership); // precondition
    expect(await em.findOne(Membership, { organizationId: b.id, userId: bMemberId })).toBeNull();
    expect(await em.find(Membership, { userId: bMemberId })).toEqual([]);
    expect((await em.find(Membership, {})).map((m) => m.userId).sort()).toEqual(a.users.map((u) => u.id).sort());
    await expect(em.findOneOrFail(Membership, { organizationId: b.id, userId: bMemberId })).rejects.toThrow(NotFoundError);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('identity-map hit on ActivityEvent: B\'s event registered in a tenant EM is not returned by id', async () => {
    const sys = forkForSystem(app.orm.em, 'test: holds B');
    const event = await sys.findOneOrFail(ActivityEvent, bEventId);
    const em = tenantEm();
    em.getUnitOfWork().register(event);
    expect(em.getUnitOfWork().getById('ActivityEvent', bEventId)).toBe(event); // precondition
    expect(await em.findOne(ActivityEvent, bEventId)).toBeNull();
    expect(await em.find(ActivityEvent, { id: bEventId })).toEqual([]);
    expect((await em.find(ActivityEvent, {})).map((e) => e.organizationId)).toEqual([a.id]);
  });
});

describe('section 1: opt-outs and re-parameterization of the tenant filter', () => {
  const optOuts: [string, object][] = [
    ['filters: false', { filters: false }],
    ['filters: { tenant: false }', { filters: { tenant: false } }],
    ['filters: { tenant: { organizationId: B } } (per-call param override)', { filters: { tenant: { organizationId: '<B>' } } }],
  ];
  it.each(optOuts)('opt-out %s on a tenant EM throws TenantIsolationError before any query, for every filtered method', async (_name, template) => {
    const before = await snapshotOrg(app, b.id);
    const opts = JSON.parse(JSON.stringify(template).replace('<B>', b.id)) as { filters: never };
    const em = tenantEm();
    const calls: (() => Promise<unknown>)[] = [
      () => em.find(Document, { id: bDocId }, opts),
      () => em.findOne(Document, bDocId, opts),
      () => em.findOneOrFail(Document, bDocId, opts),
      () => em.count(Document, {}, opts),
      () => em.findAndCount(Document, {}, opts),
      () => em.find(Membership, { organizationId: b.id }, opts),
      () => em.nativeUpdate(Document, { id: bDocId }, { title: 'changed by an opt-out' }, opts),
      () => em.nativeDelete(Document, { id: bDocId }, opts),
    ];
    for (const call of calls) {
      const { sql, error } = await sqlSentDuring(app, call);
      expect(error).toBeInstanceOf(TenantIsolationError);
      expect(sql).toEqual([]);
    }
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('opt-out by setFilterParams(\'tenant\', { organizationId: B }) on a tenant EM of A: nothing of B is read, counted, hydrated or changed', async () => {
    // its own "B", so that if this guard fails the damage stays out of the other tests' data
    const other = await createOrg(app, { documents: 1 });
    const before = await snapshotOrg(app, other.id);
    const victim = other.documents[0]!.id;
    /** Either refused with TenantIsolationError, or the value the check accepts (nothing of B). */
    const check = async (name: string, call: (em: TenantEntityManager) => Promise<unknown>, nothingOfB: (value: any) => boolean) => {
      const em = tenantEm();
      let outcome: { error?: unknown; value?: unknown } = {};
      try {
        em.setFilterParams('tenant', { organizationId: other.id });
        outcome = { value: await call(em) };
      } catch (error) {
        outcome = { error };
      }
      if ('error' in outcome) expect.soft(outcome.error, name).toBeInstanceOf(TenantIsolationError);
      else expect.soft(nothingOfB(outcome.value), `${name} returned ${JSON.stringify(outcome.value)}`).toBe(true);
      // B's rows must not have been hydrated into the request's identity map either
      expect.soft(em.getUnitOfWork().getById('Document', victim), `${name}: B's row in the identity map`).toBeUndefined();
    };
    await check('find', (em) => em.find(Document, {}), (rows: Document[]) => rows.every((d) => d.organizationId === a.id));
    await check('findOne', (em) => em.findOne(Document, victim), (doc) => doc === null);
    await check('count', (em) => em.count(Document, { id: victim }), (n) => n === 0);
    await check('nativeUpdate', (em) => em.nativeUpdate(Document, { id: victim }, { title: 'changed through a re-parameterized filter' }), (n) => n === 0);
    await check('nativeDelete', (em) => em.nativeDelete(Document, { id: victim }), (n) => n === 0);
    expect(await snapshotOrg(app, other.id)).toEqual(before);
  });
});

describe('section 1: missing params', () => {
  const reads: [string, (em: EntityManager) => Promise<unknown>][] = [
    ['find', (em) => em.find(Document, {})],
    ['findOne', (em) => em.findOne(Document, bDocId)],
    ['count', (em) => em.count(Document, {})],
    ['nativeDelete', (em) => em.nativeDelete(Document, { id: bDocId })],
  ];

  it('missing params: an EM fork with no scope and no filter params refuses tenant-owned reads, before any query', async () => {
    for (const [name, read] of reads) {
      const { sql, error } = await sqlSentDuring(app, () => read(app.orm.em.fork()));
      expect(error, name).toBeInstanceOf(TenantIsolationError);
      expect(sql, name).toEqual([]);
    }
  });

  it('missing params: a tenant scope whose filter has no params hits MikroORM\'s "No arguments provided for filter"', async () => {
    for (const [name, read] of reads) {
      const em = app.orm.em.fork() as TenantEntityManager;
      em.scope = { kind: 'tenant', organizationId: a.id };
      const { sql, error } = await sqlSentDuring(app, () => read(em));
      expect(String(error), name).toMatch(/No arguments provided for filter 'tenant'/);
      expect(sql, name).toEqual([]);
    }
  });

  it.each([
    ['undefined', undefined],
    ['an empty string', ''],
    ['not a uuid', 'not-a-uuid'],
    ['a uuid with SQL after it', `${randomUUID()}' or true --`],
  ])('missing params: setFilterParams(\'tenant\', { organizationId: %s }) throws instead of querying IS NULL', async (_name, value) => {
    const before = await snapshotOrg(app, b.id);
    for (const [name, read] of reads) {
      const em = tenantEm();
      // Refused when the parameter is set (the scope pins it) or, failing that, by the filter.
      const { sql, error } = await sqlSentDuring(app, async () => {
        em.setFilterParams('tenant', { organizationId: value });
        return read(em);
      });
      expect(error, name).toBeInstanceOf(TenantIsolationError);
      expect(sql, name).toEqual([]);
    }
    expect(() => forkForTenant(app.orm.em, value as string)).toThrow(TenantIsolationError);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  // The checks above stop every bad value before the filter runs (forkForTenant, the
  // setFilterParams override), so the tenant filter's OWN check (tenant-filter.ts) is reached
  // here on purpose: a tenant EM of A whose filter parameter is then replaced with MikroORM's
  // own setFilterParams, the method TenantEntityManager overrides.
  const baseSetFilterParams = Object.getPrototypeOf(TenantEntityManager.prototype).setFilterParams as TenantEntityManager['setFilterParams'];
  it.each([
    ['undefined', undefined],
    ['an empty string', ''],
    ['not a uuid', 'not-a-uuid'],
    ['null', null],
    ['a uuid with SQL after it', `${randomUUID()}' or true --`],
    ['a number', 42],
    ['a list of ids (would become IN)', '<A,B>'],
    ['an operator object (would become != null)', { $ne: null }],
  ])("the tenant filter's own check: organizationId %s reaching the filter is refused with TenantIsolationError, no query sent", async (_name, raw) => {
    const value = raw === '<A,B>' ? [a.id, b.id] : raw;
    const before = await snapshotOrg(app, b.id);
    for (const [name, read] of [...reads, ['nativeUpdate', (em: EntityManager) => em.nativeUpdate(Document, { id: bDocId }, { title: 'x' })] as const]) {
      const em = tenantEm();
      baseSetFilterParams.call(em, 'tenant', { organizationId: value });
      expect(em.getFilterParams('tenant'), `${name}: the bad value is in place`).toEqual({ organizationId: value });
      const { sql, error } = await sqlSentDuring(app, () => read(em));
      expect(error, name).toBeInstanceOf(TenantIsolationError);
      expect((error as Error).message, name).toMatch(/^scope needs a valid organization id, got /);
      expect(sql, name).toEqual([]);
    }
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it.each([
    ['undefined', undefined],
    ['an empty string', ''],
    ['not a uuid', 'not-a-uuid'],
    ['null', null],
    ['an operator object', { $ne: null }],
  ])("the viewer filter's own check: a user scope with user id %s reads no membership, no query sent", async (_name, value) => {
    // forkForUser takes its id as given: the viewer filter's check is the only one on this path.
    const em = forkForUser(app.orm.em, value as string);
    for (const [name, read] of [
      ['find', () => em.find(Membership, {})],
      ['findOne', () => em.findOne(Membership, { organizationId: b.id })],
      ['count', () => em.count(Membership, {})],
    ] as const) {
      const { sql, error } = await sqlSentDuring(app, read);
      expect(error, name).toBeInstanceOf(TenantIsolationError);
      expect((error as Error).message, name).toMatch(/^scope needs a valid user id, got /);
      expect(sql, name).toEqual([]);
    }
  });
});

describe('section 1: partial loading', () => {
  it("fields and exclude give the organization's rows (the owner column is kept for the scope check), still nothing of B", async () => {
    const aDocId = a.documents[0]!.id;
    expect(ids(await tenantEm().find(Document, {}, { fields: ['id', 'title'] }))).toEqual(ids(a.documents));
    expect(ids(await tenantEm().find(Document, {}, { exclude: ['organizationId', 'body'] as never }))).toEqual(ids(a.documents));
    expect((await tenantEm().findOne(Document, aDocId, { fields: ['title'] }))?.title).toBe(a.documents[0]!.title);
    expect(await tenantEm().findOne(Document, bDocId, { fields: ['id', 'title'] })).toBeNull();
    expect(await tenantEm().find(Document, { id: bDocId }, { fields: ['id'] })).toEqual([]);
    const [page, total] = await tenantEm().findAndCount(Document, {}, { fields: ['id'] });
    expect([ids(page), total]).toEqual([ids(a.documents), a.documents.length]);
  });
});
