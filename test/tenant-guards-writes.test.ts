/**
 * tenancy-threats.md, section 1, write side: upsert, flush of references, organization changes,
 * inserts and foreign keys, at the ORM level against the real PostgreSQL. A is the caller, B the
 * other organization; what is really in B's tables is read with plain SQL before and after.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityEvent, Document, Membership } from '../src/db/entities/index.js';
import { TenantIsolationError } from '../src/tenancy/errors.js';
import { forkForTenant, type TenantEntityManager } from '../src/tenancy/tenant-entity-manager.js';
import type { TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { countRows, documentRow, snapshotOrg, sqlSentDuring, setupTwoOrganizations } from './support/guards-helpers.js';

let app: TestApp;
let a: TestOrg;
let b: TestOrg;
let bDocId: string;
let bMemberId: string; // a user who is a member of B only
let bEventId: string;

beforeAll(async () => {
  ({ app, a, b, bDocId, bMemberId, bEventId } = await setupTwoOrganizations(2));
});
afterAll(() => app?.close());

const tenantEm = () => forkForTenant(app.orm.em, a.id);
const writes = (sql: string[]) => sql.filter((q) => /^\s*(insert|update|delete)\b/i.test(q));
const documentsWithIds = (docIds: string[]) => countRows(app, 'select 1 from document where id = any($1)', [docIds]);

describe('control: the guards refuse B, not everything', () => {
  it('control: in its own organization a tenant EM creates, changes and removes documents and memberships through flush()', async () => {
    const own = await createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 1 });
    const [docId, memberId] = [own.documents[0]!.id, own.users[1]!.id];
    const newId = randomUUID();
    const em = forkForTenant(app.orm.em, own.id);
    em.create(Document, { id: newId, organizationId: own.id, title: 'new', createdById: own.owner.id });
    (await em.findOneOrFail(Document, docId)).title = 'changed';
    await em.flush();
    expect((await documentRow(app, newId))?.organization_id).toBe(own.id);
    expect((await documentRow(app, docId))?.title).toBe('changed');

    const removeDoc = forkForTenant(app.orm.em, own.id);
    removeDoc.remove(await removeDoc.findOneOrFail(Document, docId));
    await expect.soft(removeDoc.flush(), 'remove of a loaded document of the scope').resolves.toBeUndefined();
    const removeMember = forkForTenant(app.orm.em, own.id);
    removeMember.remove(await removeMember.findOneOrFail(Membership, { organizationId: own.id, userId: memberId }));
    await expect.soft(removeMember.flush(), 'remove of a loaded membership of the scope').resolves.toBeUndefined();
    expect(await documentRow(app, docId)).toBeUndefined();
    expect(await countRows(app, 'select 1 from membership where organization_id = $1 and user_id = $2', [own.id, memberId])).toBe(0);
  });
});

describe('section 1: driver-level writes', () => {
  it('em.upsert / em.upsertMany on Document with B\'s id or organization throw before any query; B unchanged', async () => {
    const before = await snapshotOrg(app, b.id);
    const em = tenantEm();
    const asB = { id: bDocId, organizationId: b.id, title: 'overwritten by upsert' };
    const claimingA = { ...asB, organizationId: a.id };
    for (const call of [
      () => em.upsert(Document, asB),
      () => em.upsert(Document, claimingA),
      () => em.upsert(em.create(Document, asB, { persist: false })),
      () => em.upsertMany(Document, [asB]),
      () => em.upsertMany(Document, [{ ...claimingA, id: a.documents[0]!.id }, claimingA]),
      () => em.upsertMany([em.create(Document, { ...asB, id: b.documents[1]!.id }, { persist: false })]),
    ]) {
      const { sql, error } = await sqlSentDuring(app, call);
      expect(error).toBeInstanceOf(TenantIsolationError);
      expect(sql).toEqual([]);
    }
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });
});

describe('section 1: flush() of references and organization changes', () => {
  it('getReference(Document, B\'s id): a changed field + flush() is refused by the flush guard before any write; B unchanged', async () => {
    const before = await snapshotOrg(app, b.id);
    for (const change of [
      (d: Document) => (d.title = 'overwritten by reference'),
      (d: Document) => Object.assign(d, { organizationId: a.id, title: 'overwritten by reference claiming A' }),
    ]) {
      const em = tenantEm();
      change(em.getReference(Document, bDocId));
      const { sql, error } = await sqlSentDuring(app, () => em.flush());
      expect(error).toBeInstanceOf(TenantIsolationError);
      expect(writes(sql)).toEqual([]);
    }
    const em = tenantEm();
    em.assign(em.getReference(Document, bDocId), { body: 'assigned through a reference' });
    await expect(em.flush()).rejects.toThrow(TenantIsolationError);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('getReference(Document, B\'s id): em.remove(ref) + flush() is refused; B\'s document still exists', async () => {
    const before = await snapshotOrg(app, b.id);
    const em = tenantEm();
    em.remove(em.getReference(Document, bDocId));
    const { sql, error } = await sqlSentDuring(app, () => em.flush());
    expect(error).toBeInstanceOf(TenantIsolationError);
    expect(writes(sql)).toEqual([]);
    expect(await documentRow(app, bDocId)).toBeDefined();
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('changing organizationId: a loaded A document moved to B is refused at flush (guard)', async () => {
    const before = await snapshotOrg(app, b.id);
    const aDocId = a.documents[0]!.id;
    for (const move of [
      (d: Document, em: TenantEntityManager) => em.assign(d, { organizationId: b.id }),
      (d: Document) => (d.organizationId = b.id),
    ]) {
      const em = tenantEm();
      move(await em.findOneOrFail(Document, aDocId), em);
      const { sql, error } = await sqlSentDuring(app, () => em.flush());
      expect(error).toBeInstanceOf(TenantIsolationError);
      expect(writes(sql)).toEqual([]);
    }
    expect((await documentRow(app, aDocId))?.organization_id).toBe(a.id);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('the database refuses moving a row of EVERY tenant-owned table to another organization: a trigger on each (23514), even for the owner', async () => {
    // Every table with an organization_id column, from the catalog, is a tenant-owned table of the entity metadata.
    const entityTables = Object.values(app.orm.getMetadata().getAll())
      .filter((m) => m.properties.organizationId)
      .map((m) => m.tableName)
      .sort();
    await withSql(app.databaseUrl, async (c) => {
      const { rows: columns } = await c.query<{ table_name: string }>(
        `select table_name from information_schema.columns where table_schema = 'public' and column_name = 'organization_id' order by 1`,
      );
      const tables = columns.map((r) => r.table_name);
      expect(tables).toEqual(entityTables);
      expect(tables).toEqual(expect.arrayContaining(['activity_event', 'comment', 'document', 'file', 'invitation', 'membership']));

      // The catalog: an enabled BEFORE UPDATE row trigger calling forbid_organization_change on each.
      const { rows: triggers } = await c.query<{ table: string }>(
        `select t.tgrelid::regclass::text as table from pg_trigger t join pg_proc p on p.oid = t.tgfoid
          where p.proname = 'forbid_organization_change' and t.tgenabled = 'O' and not t.tgisinternal
            and (t.tgtype & 2) <> 0 and (t.tgtype & 1) <> 0 and (t.tgtype & 16) <> 0`,
      );
      expect(triggers.map((r) => r.table.replace(/"/g, '')).sort()).toEqual(tables);

      // The behaviour: one row of A in each table (a comment, an invitation and a file are added for the tables the setup leaves empty) ...
      await c.query(
        `insert into comment (id, organization_id, document_id, author_id, body, created_at) values ($1, $2, $3, $4, 'to be moved', now())`,
        [randomUUID(), a.id, a.documents[0]!.id, a.owner.id],
      );
      await c.query(
        `insert into invitation (id, organization_id, email, role, token_hash, invited_by_id, expires_at) values ($1, $2, 'moved@example.test', 'MEMBER', $3, $4, now() + interval '1 day')`,
        [randomUUID(), a.id, randomUUID(), a.owner.id],
      );
      const fileId = randomUUID();
      await c.query(
        `insert into file (id, organization_id, document_id, object_key, filename, content_type, byte_size, sha256, created_by_id, created_at)
         values ($1, $2, $3, $4, 'moved.txt', 'text/plain', 1, $5, $6, now())`,
        [fileId, a.id, a.documents[0]!.id, `${a.id}/${fileId}`, 'a'.repeat(64), a.owner.id],
      );
      const before = await snapshotOrg(app, b.id);
      for (const table of tables) {
        const { rows } = await c.query<{ ctid: string }>(`select ctid::text from "${table}" where organization_id = $1 limit 1`, [a.id]);
        expect(rows, `${table}: a row of A to move`).toHaveLength(1);
        // ... moved to B by its physical address, so exactly that one row is targeted: refused by the trigger.
        await expect(c.query(`update "${table}" set organization_id = $1 where ctid = $2::tid`, [b.id, rows[0]!.ctid]), table).rejects.toMatchObject({
          code: '23514',
          message: `organization_id of a ${table} row cannot change`,
        });
        expect((await c.query(`select organization_id from "${table}" where ctid = $1::tid`, [rows[0]!.ctid])).rows, table).toEqual([{ organization_id: a.id }]);
      }
      // And B's row cannot be pulled into A either.
      await expect(c.query('update document set organization_id = $1 where id = $2', [a.id, bDocId])).rejects.toMatchObject({ code: '23514' });
      expect(await snapshotOrg(app, b.id)).toEqual(before);
    });
  });

  // merge/map/create({ managed: true }) check only the organizationId the CALLER supplies; the
  // flush guard then trusts that as the loaded organization, and UPDATE/DELETE go by primary key.
  const forged: [string, (em: TenantEntityManager, id: string) => Document][] = [
    ['em.merge(Document, { id, organizationId: A })', (em, id) => em.merge(Document, { id, organizationId: a.id, title: 'forged' })],
    ['em.map(Document, { id, organization_id: A })', (em, id) => em.map(Document, { id, organization_id: a.id, title: 'forged' })],
    ['em.create(Document, { id, organizationId: A }, { managed: true })', (em, id) => em.create(Document, { id, organizationId: a.id, title: 'forged' }, { managed: true })],
  ];
  it.each(forged)('forged origin: %s with B\'s id, then change + flush / remove + flush: refused, B unchanged', async (_how, forge) => {
    // its own "B", so that if this guard fails the damage stays out of the other tests' data
    const other = await createOrg(app, { documents: 2 });
    const before = await snapshotOrg(app, other.id);
    const [changed, removed] = other.documents.map((d) => d.id) as [string, string];
    const update = async () => {
      const em = tenantEm();
      forge(em, changed).title = 'overwritten through a forged identity';
      await em.flush();
    };
    const remove = async () => {
      const em = tenantEm();
      em.remove(forge(em, removed));
      await em.flush();
    };
    await expect.soft(update()).rejects.toThrow(TenantIsolationError);
    await expect.soft(remove()).rejects.toThrow(TenantIsolationError);
    expect(await snapshotOrg(app, other.id)).toEqual(before);
  });
});

describe('section 1: inserts and foreign keys', () => {
  it('em.insert / em.insertMany with organizationId: B throw before any query; no row is created', async () => {
    const before = await snapshotOrg(app, b.id);
    const em = tenantEm();
    const [id1, id2, id3] = [randomUUID(), randomUUID(), randomUUID()];
    for (const call of [
      () => em.insert(Document, { id: id1, organizationId: b.id, title: 'planted by insert' }),
      () => em.insert(em.create(Document, { id: id1, organizationId: b.id, title: 'planted by insert' }, { persist: false })),
      () => em.insertMany(Document, [{ id: id2, organizationId: a.id, title: 'fine' }, { id: id3, organizationId: b.id, title: 'planted' }]),
      () => em.insert(Membership, { organizationId: b.id, userId: a.owner.id, role: 'OWNER' }),
      () => em.insert(ActivityEvent, { id: id1, organizationId: b.id, action: 'planted' }),
    ]) {
      const { sql, error } = await sqlSentDuring(app, call);
      expect(error).toBeInstanceOf(TenantIsolationError);
      expect(sql).toEqual([]);
    }
    expect(await documentsWithIds([id1, id2, id3])).toBe(0);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('em.create(Document / Membership, { organizationId: B }) + flush() is refused by the flush guard; no row is created', async () => {
    const before = await snapshotOrg(app, b.id);
    const docId = randomUUID();
    for (const plant of [
      (em: TenantEntityManager) => em.create(Document, { id: docId, organizationId: b.id, title: 'planted by create' }),
      (em: TenantEntityManager) => em.create(Membership, { organizationId: b.id, userId: a.owner.id, role: 'OWNER' }),
      (em: TenantEntityManager) => em.persist(em.create(ActivityEvent, { id: randomUUID(), organizationId: b.id, action: 'planted' }, { persist: false })),
    ]) {
      const em = tenantEm();
      plant(em);
      const { sql, error } = await sqlSentDuring(app, () => em.flush());
      expect(error).toBeInstanceOf(TenantIsolationError);
      expect(writes(sql)).toEqual([]);
    }
    expect(await documentsWithIds([docId])).toBe(0);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('em.assign(docA, { createdById: a user of B only }) + flush(): the composite FK to membership rejects it at commit (23503)', async () => {
    const before = await snapshotOrg(app, b.id);
    const aDocId = a.documents[0]!.id;
    const em = tenantEm();
    em.assign(await em.findOneOrFail(Document, aDocId), { createdById: bMemberId });
    await expect(em.flush()).rejects.toMatchObject({ code: '23503', constraint: 'document_created_by_membership_fkey' });
    expect((await documentRow(app, aDocId))?.created_by_id).toBe(a.owner.id);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('em.create(Document in A naming a user of B only as author) + flush(): the composite FK rejects it; no row is created', async () => {
    const before = await snapshotOrg(app, b.id);
    const docId = randomUUID();
    const em = tenantEm();
    em.create(Document, { id: docId, organizationId: a.id, title: 'authored by B\'s member', createdById: bMemberId });
    await expect(em.flush()).rejects.toMatchObject({ code: '23503', constraint: 'document_created_by_membership_fkey' });
    expect(await documentsWithIds([docId])).toBe(0);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });
});

describe('section 1: Membership and ActivityEvent written by reference', () => {
  it('getReference(Membership, [B, user]) (composite PK): role change + flush and remove + flush are refused; B unchanged', async () => {
    const before = await snapshotOrg(app, b.id);
    const change = tenantEm();
    change.getReference(Membership, [b.id, bMemberId]).role = 'OWNER';
    await expect(change.flush()).rejects.toThrow(TenantIsolationError);
    const remove = tenantEm();
    remove.remove(remove.getReference(Membership, [b.id, bMemberId]));
    await expect(remove.flush()).rejects.toThrow(TenantIsolationError);
    // a loaded membership of A cannot be moved into B either
    const move = tenantEm();
    (await move.findOneOrFail(Membership, { organizationId: a.id, userId: a.users[1]!.id })).organizationId = b.id;
    await expect(move.flush()).rejects.toThrow(TenantIsolationError);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });

  it('getReference(ActivityEvent, B\'s id): change + flush and remove + flush are refused; B unchanged', async () => {
    const before = await snapshotOrg(app, b.id);
    const change = tenantEm();
    change.getReference(ActivityEvent, bEventId).action = 'rewritten';
    await expect(change.flush()).rejects.toThrow(TenantIsolationError);
    const remove = tenantEm();
    remove.remove(remove.getReference(ActivityEvent, bEventId));
    await expect(remove.flush()).rejects.toThrow(TenantIsolationError);
    expect(await snapshotOrg(app, b.id)).toEqual(before);
  });
});
