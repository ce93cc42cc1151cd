import { ActivityEvent } from '../../db/entities/index.js';
import { assertRole } from '../../auth/roles.js';
import { keysetCursor, pageSize, toConnection } from '../../graphql/pagination.js';
import type { RequestScope } from '../../tenancy/request-scope.js';
import type { TenantEntityManager } from '../../tenancy/tenant-entity-manager.js';

export interface ActivityTarget {
  type: string;
  id?: string | null;
}

/** Adds an event to `em`'s unit of work: it commits (or rolls back) with the change it records. */
export function recordActivity(em: TenantEntityManager, scope: RequestScope, action: string, target?: ActivityTarget): void {
  em.create(ActivityEvent, {
    organizationId: scope.organizationId,
    actorId: scope.userId,
    action,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    requestId: scope.requestId,
  });
}

/**
 * A refused attempt is recorded in its own transaction: the one it was refused in rolls back.
 * Unknown ids and other organizations' ids are recorded alike, so the trail is no oracle either.
 */
export async function recordDenied(scope: RequestScope, action: string, target?: ActivityTarget): Promise<void> {
  const em = scope.em.fork();
  recordActivity(em, scope, `${action}.denied`, target);
  await em.flush();
}

export async function listActivity(scope: RequestScope, first: number | null | undefined, after: string | null | undefined) {
  assertRole(scope, 'ADMIN', 'Reading the activity log');
  const cursor = await scope.em.findByCursor(
    ActivityEvent,
    {},
    { first: pageSize(first, 50), after: keysetCursor(after), orderBy: { createdAt: 'desc', id: 'desc' }, includeCount: false },
  );
  return toConnection(cursor);
}
