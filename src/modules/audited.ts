import { AppError } from '../graphql/errors.js';
import type { RequestScope } from '../tenancy/request-scope.js';
import type { TenantEntityManager } from '../tenancy/tenant-entity-manager.js';
import { recordActivity, recordDenied, type ActivityTarget } from './activity/activity.service.js';

/**
 * Runs one change to tenant data in a transaction together with its audit event. A refusal
 * (NOT_FOUND, FORBIDDEN) rolls the change back and is recorded as `<action>.denied`.
 */
export async function audited<T extends object | string>(
  scope: RequestScope,
  action: string,
  target: ActivityTarget,
  work: (em: TenantEntityManager) => Promise<T>,
): Promise<T> {
  try {
    return await scope.em.transactional(async (em) => {
      const result = await work(em);
      const id = target.id ?? (typeof result === 'string' ? result : (result as { id?: string }).id);
      recordActivity(em, scope, action, { type: target.type, id });
      return result;
    });
  } catch (err) {
    const code = err instanceof AppError ? err.extensions.code : undefined;
    if (code === 'NOT_FOUND' || code === 'FORBIDDEN') await recordDenied(scope, action, target);
    throw err;
  }
}
