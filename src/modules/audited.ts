import type { Role } from '../db/entities/index.js';
import { assertRole } from '../auth/roles.js';
import { AppError, type ErrorCode } from '../graphql/errors.js';
import type { RequestScope } from '../tenancy/request-scope.js';
import { checkDeferredConstraints } from '../tenancy/rls-session.js';
import type { TenantEntityManager } from '../tenancy/tenant-entity-manager.js';
import { appendActivity, recordActivity, recordDenied, type ActivityTarget } from './activity/activity-events.js';

// What the audit trail records (README, "The API"): every refusal of an action on the
// organization's data, once the request has reached that action; never the refusals before it
// (malformed input, edge and rate limits, bad tokens), which a flood would write by the million.

// QUOTA_EXCEEDED is one of an action's own rules (requestFileUpload's), like BAD_USER_INPUT.
const REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set(['FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT', 'QUOTA_EXCEEDED']);

/**
 * Whether `err` means "this action was refused", when raised once the action has begun: a role
 * too low (FORBIDDEN), an unknown or another organization's id (NOT_FOUND), or one of the
 * action's own rules (BAD_USER_INPUT, e.g. "The last OWNER cannot be removed."; QUOTA_EXCEEDED). Only AppErrors
 * count: anything else is a bug or an outage, not a refusal.
 */
export function isRefusal(err: unknown): err is AppError {
  return err instanceof AppError && REFUSAL_CODES.has(err.extensions.code as ErrorCode);
}

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
 * Runs one change to tenant data in a transaction (a savepoint of the request's) together with
 * its audit event. A refusal (see `isRefusal`) rolls the change back, is recorded as
 * `<action>.denied` in the request's transaction, and is rethrown; other errors are rethrown
 * unrecorded (they are bugs or outages, logged as such).
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
    if (isRefusal(err)) await recordDenied(scope, action, target);
    throw err;
  }
}

/** A role check of an action that changes nothing; named like `AuditedAction`'s fields. */
export interface AuditedRoleCheck {
  /** e.g. `activity.read`; a refusal is recorded as `activity.read.denied`. */
  action: string;
  requires: Role;
  /** What the FORBIDDEN message calls the action, e.g. "Reading the activity log". */
  describe: string;
  target?: ActivityTarget;
}

/**
 * For an action that changes nothing (a read needing ADMIN, say): FORBIDDEN below `requires`,
 * and that refusal is recorded as `<action>.denied` in the request's transaction, exactly as
 * `audited` records its own. Resolves with nothing when the role suffices.
 */
export async function requireRoleAudited(scope: RequestScope, { action, requires, describe, target }: AuditedRoleCheck): Promise<void> {
  try {
    assertRole(scope, requires, describe);
  } catch (err) {
    await appendActivity(scope, `${action}.denied`, target);
    throw err;
  }
}
