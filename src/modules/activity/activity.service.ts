import { ActivityEvent } from '../../db/entities/index.js';
import { keysetCursor, pageSize, toConnection } from '../../graphql/pagination.js';
import type { RequestScope } from '../../tenancy/request-scope.js';
import { requireRoleAudited } from '../audited.js';

// The trail's writers live in activity-events.ts (audited.ts uses them); re-exported for the
// services that record reads.
export { appendActivity, recordActivity, recordDenied, type ActivityTarget, type Actor } from './activity-events.js';

/** The organization's audit trail, newest first. ADMIN or above; a lower role's attempt is itself recorded (`activity.read.denied`). */
export async function listActivity(scope: RequestScope, first: number | null | undefined, after: string | null | undefined) {
  await requireRoleAudited(scope, { action: 'activity.read', requires: 'ADMIN', describe: 'Reading the activity log' });
  const cursor = await scope.em.findByCursor(
    ActivityEvent,
    {},
    { first: pageSize(first, 50), after: keysetCursor(after), orderBy: { createdAt: 'desc', id: 'desc' }, includeCount: false },
  );
  return toConnection(cursor);
}
