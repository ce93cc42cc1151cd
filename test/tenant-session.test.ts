import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Document } from '../src/db/entities/index.js';
import { findDocumentPage } from '../src/modules/document/document.queries.js';
import { TenantIsolationError } from '../src/tenancy/errors.js';
import { forkForTenant } from '../src/tenancy/tenant-entity-manager.js';
import { openTenantSession } from '../src/tenancy/tenant-session.js';
import { tenantStatement } from '../src/tenancy/tenant-sql.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { statementsDuring } from './support/statements.js';

// The request session owns one pooled connection for a whole request. Once it ends, that
// connection goes back to the pool and may serve another organization next: nothing of the
// ended request may reach it any more.

let app: TestApp;
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  app = await startApp({ DB_POOL_MAX: '1' });
  [a, b] = await Promise.all([createOrg(app, { documents: 2 }), createOrg(app, { documents: 2 })]);
});
afterAll(() => app?.close());

const open = (org: TestOrg) => {
  const em = forkForTenant(app.serving.em, org.id);
  return openTenantSession(em, { organizationId: org.id, userId: org.owner.id, epoch: null }).then((session) => ({ em, session: session! }));
};
const page = { first: 10, includeArchived: false };

describe('tenant session', () => {
  it('reads through the fixed statements and the ORM in one transaction, then refuses both once ended', async () => {
    const { em, session } = await open(a);
    expect(session.role).toBe('OWNER');
    expect(session.user).toMatchObject({ id: a.owner.id, email: a.owner.email });
    expect(session.user.createdAt).toBeInstanceOf(Date);
    expect((await findDocumentPage(session.sql, page)).map((d) => d.organizationId)).toEqual([a.id, a.id]);
    expect((await em.find(Document, {})).map((d) => d.organizationId)).toEqual([a.id, a.id]);
    await session.end(true);

    // The pool has ONE connection: B's session now holds the very connection A used.
    const other = await open(b);
    await expect(findDocumentPage(session.sql, page)).rejects.toBeInstanceOf(TenantIsolationError);
    await expect(em.find(Document, {}, { disableIdentityMap: true })).rejects.toThrow(/complete/i);
    expect((await findDocumentPage(other.session.sql, page)).map((d) => d.organizationId)).toEqual([b.id, b.id]);
    await other.session.end(true);
  });

  it('opens in one round trip, and the ORM joins that transaction without a BEGIN of its own', async () => {
    let session: Awaited<ReturnType<typeof open>>['session'] | undefined;
    const sent = await statementsDuring(async () => {
      const opened = await open(a);
      session = opened.session;
      await opened.em.find(Document, {});
    });
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^begin; select \* from enter_organization\(/);
    expect(sent[1]).toMatch(/^select .* from "document"/);
    await session!.end(true);
  });

  it('does not run a statement that was queued when the transaction ended', async () => {
    const { session } = await open(a);
    const slow = tenantStatement('slow_read', 'select pg_sleep(0.2), organization_id from document where organization_id = $1 limit 1');
    const first = session.sql.rows(slow);
    const queued = findDocumentPage(session.sql, page); // waits for `first`
    await new Promise((r) => setTimeout(r, 50)); // `first` is running in PostgreSQL now
    const ended = session.end(true);
    await expect(first).resolves.toHaveLength(1);
    await expect(queued).rejects.toBeInstanceOf(TenantIsolationError);
    await ended;
  });

  it('answers null for a non-member and leaves the connection clean for the next request', async () => {
    const em = forkForTenant(app.serving.em, a.id);
    expect(await openTenantSession(em, { organizationId: a.id, userId: b.owner.id, epoch: null })).toBeNull();
    const { session } = await open(a);
    expect(await findDocumentPage(session.sql, page)).toHaveLength(2);
    await session.end(false);
  });

  it('reports a failed COMMIT', async () => {
    const { em, session } = await open(a);
    // A deferred foreign key that only COMMIT checks: an author who is no member of A.
    em.create(Document, { organizationId: a.id, createdById: b.owner.id, title: 'orphan' });
    await em.flush();
    await expect(session.end(true)).rejects.toThrow(/foreign key/);
    const { session: next } = await open(a);
    expect(await findDocumentPage(next.sql, page)).toHaveLength(2); // rolled back, connection usable
    await next.end(true);
  });

  it('refuses a statement that does not filter by the organization parameter', () => {
    expect(() => tenantStatement('leaky', 'select * from document where id = $1')).toThrow(TenantIsolationError);
    expect(() => tenantStatement('leaky_insert', 'insert into document (id, organization_id) values ($1, $2)')).toThrow(TenantIsolationError);
  });
});
