import type { TenantEntityManager } from './tenant-entity-manager.js';

/** What the row-level-security policies read, per transaction (see the RLS migration). */
export interface DbSession {
  organizationId?: string | null;
  userId?: string | null;
}

// `true` = transaction-local (SET LOCAL): the values vanish at COMMIT or ROLLBACK, so a pooled
// connection never hands one request's organization to the next.
const SET_SESSION = `select set_config('app.organization_id', ?, true), set_config('app.user_id', ?, true)`;

async function applySession(em: TenantEntityManager, session: DbSession): Promise<void> {
  const ctx = em.getTransactionContext();
  if (!ctx) throw new Error('row-level-security settings need a transaction');
  await em.getConnection('write').execute(SET_SESSION, [session.organizationId ?? '', session.userId ?? ''], 'run', ctx);
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
