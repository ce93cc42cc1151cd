import { fencedError } from './placement/placement-errors.js';
import type { TenantEntityManager } from './tenant-entity-manager.js';

/** What the row-level-security policies read, per transaction (see the RLS migration). */
export interface DbSession {
  organizationId?: string | null;
  userId?: string | null;
  /**
   * With an organization: the placement epoch the caller routed by (src/tenancy/placement/);
   * null or absent: any epoch, but still only an organization this database serves or does not
   * know yet (one being created). The database refuses others (TenantFencedError).
   */
  epoch?: number | null;
}

// `true` = transaction-local (SET LOCAL): the values vanish at COMMIT or ROLLBACK, so a pooled
// connection never hands one request's organization to the next.
const SET_USER = `select set_config('app.organization_id', '', true), set_config('app.user_id', ?, true)`;
// The same settings, behind the placement fence (placement migration: enter_tenant).
const ENTER_TENANT = `select enter_tenant(?::uuid, nullif(?, '')::uuid, ?::integer)`;

async function applySession(em: TenantEntityManager, session: DbSession): Promise<void> {
  const ctx = em.getTransactionContext();
  if (!ctx) throw new Error('row-level-security settings need a transaction');
  const connection = em.getConnection('write');
  if (!session.organizationId) return void (await connection.execute(SET_USER, [session.userId ?? ''], 'run', ctx));
  try {
    await connection.execute(ENTER_TENANT, [session.organizationId, session.userId ?? '', session.epoch ?? null], 'run', ctx);
  } catch (err) {
    throw fencedError(err, session.organizationId) ?? err;
  }
}

/** Runs `work` in its own transaction with these settings. */
export function inSession<T>(em: TenantEntityManager, session: DbSession, work: (tx: TenantEntityManager) => Promise<T>): Promise<T> {
  return em.transactional(async (tx) => {
    await applySession(tx, session);
    return work(tx);
  });
}

/**
 * Foreign keys are DEFERRABLE INITIALLY DEFERRED (the ORM may insert a child before its parent
 * in one flush), so without this they would be checked only at the request's COMMIT, after the
 * mutation already answered. Checking them now fails the mutation that caused the violation.
 */
export async function checkDeferredConstraints(em: TenantEntityManager): Promise<void> {
  const ctx = em.getTransactionContext();
  if (ctx) await em.getConnection('write').execute('set constraints all immediate; set constraints all deferred', [], 'run', ctx);
}
