import type { Role } from '../../db/entities/index.js';
import type { Orm } from '../../db/orm.js';
import { SHARED_PLACEMENT } from './placement-name.js';

/**
 * Keeps the shared database's index of a dedicated organization's memberships in step with the
 * placement's own (authoritative) rows, so that sign-in, `me` and `switchOrganization`, which
 * read the shared database, list the user's organizations wherever they live. `role` null:
 * removed. Nothing to do for an organization on the shared placement (its rows are the index).
 * Runs `record_membership_index` (placement migration) on the shared database in its own
 * transaction; call it before the placement's transaction commits, so that a failure here rolls
 * the change back. The index may list a membership whose placement transaction then failed to
 * commit: harmless, access is always checked on the placement.
 */
export async function recordMembershipIndex(shared: Orm, placement: string, membership: { organizationId: string; userId: string; role: Role | null }): Promise<void> {
  if (placement === SHARED_PLACEMENT) return;
  await shared.em
    .getConnection()
    .execute('select record_membership_index(?::uuid, ?::uuid, ?::membership_role)', [membership.organizationId, membership.userId, membership.role]);
}
