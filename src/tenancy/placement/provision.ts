import { Membership, Organization, type Role } from '../../db/entities/index.js';
import { checkDeferredConstraints, inSession } from '../rls-session.js';
import { forkForTenant } from '../tenant-entity-manager.js';
import { SHARED_PLACEMENT } from './placement-name.js';
import type { PlacementPools } from './placement-pools.js';
import { ensureUserCopy } from './user-copy.js';

/** An organization as the directory has it, to be set up on its dedicated placement. */
export interface ProvisionedOrganization {
  id: string;
  name: string;
  slug: string;
  tier: string;
  createdAt: Date;
}

/**
 * Sets up a new organization on its dedicated placement, in one transaction there: the
 * placement's own `organization` row (active, epoch 1), a copy of the owner's user row and the
 * owner's membership. The directory row and the membership index are the caller's, in the shared
 * database: write them in a transaction that commits only after this returns, so a placement that
 * is down (PlacementUnavailableError) leaves nothing behind in the directory. Runs as the serving
 * role behind the placement fence: an organization the placement already knows is refused
 * (TenantFencedError) unless it is active there, and then the duplicate key fails.
 * Nothing to do for `shared` (the caller's own transaction is the placement's).
 */
export async function provisionOnPlacement(
  pools: PlacementPools,
  placement: string,
  organization: ProvisionedOrganization,
  owner: { id: string; email: string; name: string; createdAt: Date; role: Role },
): Promise<void> {
  if (placement === SHARED_PLACEMENT) return;
  const { orm, release } = await pools.acquire(placement);
  try {
    // Called inside the caller's shared-database transaction: MikroORM resolves a global
    // EntityManager's fork to the transaction in context by context name. Each placement's ORM
    // has its own (placement-pools.ts); not resolving at all also keeps this fork off the
    // shared transaction if an ORM were ever built without one (the shared database would then
    // fence the new organization).
    const placementEm = orm.em.fork({ disableContextResolution: true });
    await inSession(forkForTenant(placementEm, organization.id), { organizationId: organization.id, userId: owner.id }, async (tx) => {
      tx.create(Organization, { ...organization, placement, state: 'active', placementEpoch: 1 });
      await ensureUserCopy(tx, owner);
      tx.create(Membership, { organizationId: organization.id, userId: owner.id, role: owner.role });
      await tx.flush();
      await checkDeferredConstraints(tx);
    });
  } finally {
    release();
  }
}
