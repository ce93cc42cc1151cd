import { randomUUID } from 'node:crypto';
import { ActivityEvent } from '../../db/entities/index.js';
import type { RequestScope } from '../../tenancy/request-scope.js';
import type { TenantEntityManager } from '../../tenancy/tenant-entity-manager.js';
import { tenantStatement } from '../../tenancy/tenant-sql.js';

// Writing the audit trail (activity_event). What gets recorded, and when, is decided by the
// callers: src/modules/audited.ts for changes and refusals, document.service.ts for reads.

export interface ActivityTarget {
  type: string;
  id?: string | null;
}

/** Who acted, where, in which request: a RequestScope, or a caller who is not a member yet (acceptInvitation). */
export type Actor = Pick<RequestScope, 'organizationId' | 'userId' | 'requestId'>;

function event(scope: Actor, action: string, target?: ActivityTarget) {
  return {
    id: randomUUID(),
    organizationId: scope.organizationId,
    actorId: scope.userId,
    action,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    requestId: scope.requestId,
    createdAt: new Date(),
  };
}

/** Adds an event to `em`'s unit of work: it commits (or rolls back) with the change it records. */
export function recordActivity(em: TenantEntityManager, scope: Actor, action: string, target?: ActivityTarget): void {
  em.create(ActivityEvent, event(scope, action, target));
}

/**
 * The columns of an event row as fixed statements write it: `$1` (the organization, bound by
 * TenantSql), then `$2`..`$8` from `eventValues`. A statement that writes its own row in the same
 * statement as the event (document.queries.ts) reuses these parameters: `$3` is the actor, `$6`
 * the target id, `$8` the time.
 */
export const EVENT_COLUMNS = 'organization_id, id, actor_id, action, target_type, target_id, request_id, created_at';

/** An event's parameters `$2`..`$8` (see EVENT_COLUMNS): id, actor, action, target type, target id, request id, time. */
export function eventValues(scope: Actor, action: string, target?: ActivityTarget): unknown[] {
  const e = event(scope, action, target);
  return [e.id, e.actorId, e.action, e.targetType, e.targetId, e.requestId, e.createdAt];
}

const insertEvent = tenantStatement('activity_event_insert', `insert into activity_event (${EVENT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8)`);

/** Writes an event at once, in the request's transaction: for reads, which have no unit of work. */
export async function appendActivity(scope: RequestScope, action: string, target?: ActivityTarget): Promise<void> {
  await scope.sql.rows(insertEvent, eventValues(scope, action, target));
}

/**
 * A refused attempt, recorded in the request's transaction (a fork joins it) after the action's
 * own savepoint rolled back. Unknown ids and other organizations' ids are recorded alike, so the
 * trail is no oracle either.
 */
export async function recordDenied(scope: RequestScope, action: string, target?: ActivityTarget): Promise<void> {
  const em = scope.em.fork();
  recordActivity(em, scope, `${action}.denied`, target);
  await em.flush();
}
