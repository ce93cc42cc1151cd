import type { Role } from '../db/entities/index.js';
import { assertRole } from '../auth/roles.js';
import { AppError } from '../graphql/errors.js';
import type { RequestScope } from '../tenancy/request-scope.js';
import { checkDeferredConstraints } from '../tenancy/rls-session.js';
import type { TenantEntityManager } from '../tenancy/tenant-entity-manager.js';
import { recordActivity, recordDenied, type ActivityTarget } from './activity/activity.service.js';

export interface AuditedAction<T> {
  /** e.g. `document.update`; a refusal is recorded as `document.update.denied`. */
  action: string;
  target: ActivityTarget;
  /** The role the action needs; a lower one is refused, and that refusal is recorded too. */
  requires?: Role;
  /** What the FORBIDDEN message calls the action, e.g. "Editing documents". */
  describe?: string;
  /** The target id when it is only known from the result (default: the result's `id`). */
  targetId?: (result: T) => string;
}

/**
 * Runs one change to tenant data in a transaction together with its audit event. A refusal
 * (NOT_FOUND, FORBIDDEN) rolls the change back and is recorded as `<action>.denied`.
 */
export async function audited<T extends object | string>(
  scope: RequestScope,
  { action, target, requires, describe, targetId }: AuditedAction<T>,
  work: (em: TenantEntityManager) => Promise<T>,
): Promise<T> {
  try {
    if (requires) assertRole(scope, requires, describe ?? action);
    return await scope.em.transactional(async (em) => {
      const result = await work(em);
      await em.flush();
      await checkDeferredConstraints(em);
      const id = target.id ?? targetId?.(result) ?? (typeof result === 'string' ? result : (result as { id?: string }).id);
      recordActivity(em, scope, action, { type: target.type, id });
      return result;
    });
  } catch (err) {
    const code = err instanceof AppError ? err.extensions.code : undefined;
    if (code === 'NOT_FOUND' || code === 'FORBIDDEN') await recordDenied(scope, action, target);
    throw err;
  }
}
