import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import { ActivityEvent } from '../../src/db/entities/index.js';
import { forkForSystem } from '../../src/tenancy/tenant-entity-manager.js';
import { startApp, type TestApp } from './app.js';
import { withSql } from './database.js';
import { createOrg, type TestOrg } from './factories.js';

/** The tenant-owned tables: every row of an organization in them is what "unchanged" compares. */
const TENANT_TABLES = ['document', 'membership', 'activity_event', 'comment', 'invitation', 'file'] as const;

export type OrgSnapshot = Record<(typeof TENANT_TABLES)[number], unknown[]>;

/** Every row an organization owns, read with the plain driver (outside the ORM), in a stable order. */
export async function snapshotOrg(app: Pick<TestApp, 'databaseUrl'>, organizationId: string): Promise<OrgSnapshot> {
  return withSql(app.databaseUrl, async (c) => {
    const out = {} as OrgSnapshot;
    for (const table of TENANT_TABLES) {
      const { rows } = await c.query<{ row: unknown }>(
        `select to_jsonb(t) as row from "${table}" t where organization_id = $1 order by to_jsonb(t)::text`,
        [organizationId],
      );
      out[table] = rows.map((r) => r.row);
    }
    return out;
  });
}

/** One document row as the database holds it (undefined when there is none). */
export async function documentRow(app: Pick<TestApp, 'databaseUrl'>, id: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await withSql(app.databaseUrl, (c) => c.query('select * from document where id = $1', [id]));
  return rows[0];
}

export async function countRows(app: Pick<TestApp, 'databaseUrl'>, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await withSql(app.databaseUrl, (c) => c.query<{ n: number }>(`select count(*)::int as n from (${sql}) q`, params));
  return rows[0]!.n;
}

/**
 * Records every SQL statement (with its parameters) the ORM sends while `fn` runs (the connection is shared by all
 * forks of one MikroORM instance). Lets a test prove a refusal happened BEFORE any query.
 */
export async function sqlSentDuring(app: Pick<TestApp, 'orm'>, fn: () => Promise<unknown>): Promise<{ sql: string[]; error: unknown }> {
  const connection = app.orm.em.getDriver().getConnection() as unknown as { executeQuery: (query: string, ...rest: unknown[]) => Promise<unknown> };
  const spy = vi.spyOn(connection, 'executeQuery');
  let error: unknown;
  let sql: string[] = [];
  try {
    await fn();
  } catch (e) {
    error = e;
  } finally {
    // the statement, then its bound parameters (MikroORM sends `?` placeholders and params apart)
    sql = spy.mock.calls.map((call) => `${String(call[0])} -- ${JSON.stringify((call[2] as { params?: unknown } | undefined)?.params ?? [])}`);
    spy.mockRestore();
  }
  return { sql, error };
}

/** The cast of every guard test: organizations A (the caller) and B, with documents and one audit event each. */
export interface TwoOrganizations {
  app: TestApp;
  a: TestOrg;
  b: TestOrg;
  bDocId: string;
  /** A user who belongs to B only. */
  bMemberId: string;
  bEventId: string;
}

export async function setupTwoOrganizations(docsOfB = 3): Promise<TwoOrganizations> {
  const app = await startApp();
  const [a, b] = await Promise.all([
    createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 2 }),
    createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: docsOfB }),
  ]);
  const bEventId = randomUUID();
  const sys = forkForSystem(app.orm.em, 'test: activity of both organizations');
  sys.create(ActivityEvent, { id: randomUUID(), organizationId: a.id, action: 'a.did' });
  sys.create(ActivityEvent, { id: bEventId, organizationId: b.id, action: 'b.did' });
  await sys.flush();
  return { app, a, b, bDocId: b.documents[0]!.id, bMemberId: b.users[1]!.id, bEventId };
}
