/**
 * tenancy-threats.md, section 1: QueryBuilder, raw SQL, native (filtered) writes, the result cache
 * and the global EM, at the ORM level against the real PostgreSQL. A is the caller, B the other organization; what is really in
 * B's tables is read with plain SQL before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@mikro-orm/core';
import { ActivityEvent, Document, Membership } from '../src/db/entities/index.js';
import { TenantIsolationError } from '../src/tenancy/errors.js';
import { forkForTenant } from '../src/tenancy/tenant-entity-manager.js';
import type { TestApp } from './support/app.js';
import type { TestOrg } from './support/factories.js';
import { documentRow, setupTwoOrganizations, snapshotOrg, sqlSentDuring } from './support/guards-helpers.js';

let app: TestApp;
let a: TestOrg;
let b: TestOrg;
let bDocId: string;

beforeAll(async () => {
  ({ app, a, b, bDocId } = await setupTwoOrganizations());
});
afterAll(() => app?.close());

const tenantEm = () => forkForTenant(app.orm.em, a.id);
const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

describe('section 1: QueryBuilder and raw SQL', () => {
  it('QueryBuilder on a tenant EM: createQueryBuilder / qb on tenant-owned entities (and in forks and transactions) throw', async () => {
    const em = tenantEm();
    const calls: [string, () => unknown][] = [
      ['createQueryBuilder(Document)', () => em.createQueryBuilder(Document)],
      ['createQueryBuilder(\'Document\', \'d\')', () => em.createQueryBuilder('Document', 'd')],
      ['qb(Document)', () => em.qb(Document)],
      ['qb(Membership)', () => em.qb(Membership)],
      ['qb(ActivityEvent)', () => em.qb(ActivityEvent)],
      ['fork().qb(Document)', () => em.fork().qb(Document)],
      ['transactional(tx => tx.qb(Document))', () => em.transactional(async (tx) => tx.qb(Document).execute())],
    ];
    for (const [name, call] of calls) {
      const { sql, error } = await sqlSentDuring(app, async () => call());
      expect(error, name).toBeInstanceOf(TenantIsolationError);
      expect(sql.filter((q) => /document|membership|activity_event/.test(q)), name).toEqual([]);
    }
  });

  it('em.execute(...) and em.getKnex() on a tenant EM throw, before any query', async () => {
    const before = await snapshotOrg(app, b.id);
    const em = tenantEm();
    for (const [name, call] of [
      ['execute(select)', () => em.execute('select * from document')],
      ['execute(update)', () => em.execute(`update document set title = 'raw' where id = '${bDocId}'`)],
      ['getKnex()', async () => em.getKnex()],
      ['getKnex(\'read\')', async () => em.getKnex('read')],
      ['fork().execute', () => em.fork().execute('select * from document')],
      ['transactional(tx => tx.execute)', () => em.transactional((tx) => tx.execute('select * from document'))],
    ] as [string, () => Promise<unknown>][]) {
      const { sql, error } = await sqlSentDuring(app, call);
      expect(error, name).toBeInstanceOf(TenantIsolationError);
      expect(sql.filter((q) => /document/.test(q)), name).toEqual([]);
    }
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('the global EM and an EM without scope (what anonymous requests get): QueryBuilder on Document throws, fails closed', async () => {
    for (const [name, em] of [
      ['global app.orm.em', app.orm.em],
      ['app.orm.em.fork() (no scope)', app.orm.em.fork()],
    ] as const) {
      const { sql, error } = await sqlSentDuring(app, async () => em.createQueryBuilder(Document).select('*').execute());
      expect.soft(error, `${name}: ${sql.join('; ')}`).toBeInstanceOf(TenantIsolationError);
    }
  });
});

describe('section 1: nativeUpdate / nativeDelete', () => {
  it('nativeUpdate / nativeDelete on a tenant EM with B\'s ids affect 0 rows (the filter applies); B unchanged', async () => {
    const before = await snapshotOrg(app, b.id);
    const em = tenantEm();
    const { sql } = await sqlSentDuring(app, async () => {
      expect(await em.nativeUpdate(Document, { id: bDocId }, { title: 'changed by nativeUpdate' })).toBe(0);
      expect(await em.nativeDelete(Document, { id: bDocId })).toBe(0);
      expect(await em.nativeUpdate(Membership, { userId: b.users[1]!.id }, { role: 'OWNER' })).toBe(0);
      expect(await em.nativeDelete(Membership, { userId: b.owner.id })).toBe(0);
      expect(await em.nativeDelete(ActivityEvent, { organizationId: b.id })).toBe(0);
    });
    // every statement carried A's organization id
    expect(sql.length).toBe(5);
    for (const q of sql) expect(q).toContain(a.id);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('nativeUpdate with a mix of A\'s and B\'s ids changes only A\'s row', async () => {
    const before = await snapshotOrg(app, b.id);
    const aDocId = a.documents[1]!.id;
    expect(await tenantEm().nativeUpdate(Document, { id: { $in: [aDocId, bDocId] } }, { body: 'changed by nativeUpdate' })).toBe(1);
    expect((await documentRow(app, aDocId))?.body).toBe('changed by nativeUpdate');
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('nativeUpdate changing organizationId throws before any query; the row stays in A and B is unchanged', async () => {
    const before = await snapshotOrg(app, b.id);
    const aDocId = a.documents[0]!.id;
    const em = tenantEm();
    for (const call of [
      () => em.nativeUpdate(Document, { id: aDocId }, { organizationId: b.id }),
      () => em.nativeUpdate(Document, { id: bDocId }, { organizationId: a.id }),
      () => em.nativeUpdate(Membership, { userId: a.owner.id }, { organizationId: b.id }),
    ]) {
      const { sql, error } = await sqlSentDuring(app, call);
      expect(error).toBeInstanceOf(TenantIsolationError);
      expect(sql).toEqual([]);
    }
    expect((await documentRow(app, aDocId))?.organization_id).toBe(a.id);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });
});

describe('section 1: result cache and the global EM', () => {
  it('fixed result-cache keys: cache: [key, ttl] on a tenant-owned entity throws before any query', async () => {
    const em = tenantEm();
    const cache: [string, number] = ['documents', 60_000];
    for (const call of [
      () => em.find(Document, {}, { cache }),
      () => em.findOne(Document, bDocId, { cache }),
      () => em.count(Document, {}, { cache }),
      () => em.findAndCount(Document, {}, { cache }),
    ]) {
      const { sql, error } = await sqlSentDuring(app, call);
      expect(error).toBeInstanceOf(TenantIsolationError);
      expect(sql).toEqual([]);
    }
  });

  it('fixed result-cache keys: an automatic key (cache: ttl) is per organization: A, then B, then A again each get only their own rows', async () => {
    const ttl = 60_000;
    const asA = await forkForTenant(app.orm.em, a.id).find(Document, {}, { cache: ttl });
    const asB = await forkForTenant(app.orm.em, b.id).find(Document, {}, { cache: ttl });
    expect(ids(asA)).toEqual(ids(a.documents));
    expect(ids(asB)).toEqual(ids(b.documents));
    expect(await forkForTenant(app.orm.em, b.id).count(Document, {}, { cache: ttl })).toBe(3);
    expect(await forkForTenant(app.orm.em, a.id).count(Document, {}, { cache: ttl })).toBe(2);
    // A again is served from the cache (no SQL): the cache is really in play, and keyed by organization.
    const again = await sqlSentDuring(app, async () => {
      expect(ids(await forkForTenant(app.orm.em, a.id).find(Document, {}, { cache: ttl }))).toEqual(ids(a.documents));
    });
    expect(again.error).toBeUndefined();
    expect(again.sql).toEqual([]);
  });

  it('the global EM: app.orm.em refuses find / findOne / count (allowGlobalContext: false) and native writes (no scope), before any query', async () => {
    const before = await snapshotOrg(app, b.id);
    const global = app.orm.em;
    const ormRefusal = /^Using global EntityManager instance methods for context specific actions is disallowed/;
    const scopeRefusal = /^tenant-owned data accessed through an EntityManager without a scope$/;
    // Which guard answers is part of the claim: MikroORM's own check covers the identity-map
    // methods only; the native writes skip it and meet TenantEntityManager's scope check.
    const calls: [string, () => Promise<unknown>, typeof ValidationError | typeof TenantIsolationError, RegExp][] = [
      ['find', () => global.find(Document, {}), ValidationError, ormRefusal],
      ['findOne', () => global.findOne(Document, bDocId), ValidationError, ormRefusal],
      ['count', () => global.count(Document, {}), ValidationError, ormRefusal],
      ['nativeDelete', () => global.nativeDelete(Document, { id: bDocId }), TenantIsolationError, scopeRefusal],
      ['nativeUpdate', () => global.nativeUpdate(Document, { id: bDocId }, { title: 'global' }), TenantIsolationError, scopeRefusal],
    ];
    for (const [name, call, kind, message] of calls) {
      const { sql, error } = await sqlSentDuring(app, call);
      expect(error, name).toBeInstanceOf(kind);
      expect((error as Error).message, name).toMatch(message);
      expect(sql, name).toEqual([]);
    }
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });
});
