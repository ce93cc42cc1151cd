import type { Orm } from '../../db/orm.js';
import { inSession, type DbSession } from '../rls-session.js';
import { forkForTenant, type TenantEntityManager } from '../tenant-entity-manager.js';
import { openTenantSession, type TenantSession } from '../tenant-session.js';
import type { Placement, PlacementDirectory } from './directory.js';
import { isConnectionFailure, PlacementUnavailableError, TenantFencedError, TenantNotServedError } from './placement-errors.js';
import type { PlacementPools } from './placement-pools.js';

/** A request's session on its organization's placement. */
export interface RoutedSession {
  session: TenantSession;
  /** The request's EntityManager: tenant filter on, joined to the session's transaction. */
  em: TenantEntityManager;
  placement: string;
}

/**
 * Routes an organization's work to its placement: directory lookup (cached), the placement's
 * pool, and the session entered with the directory's epoch. When the placement's database fences
 * the organization (the cache was stale: it moved), the entry is dropped and the lookup repeated
 * once. Usable without GraphQL (the command line, the tenant mover). Errors:
 * PlacementUnavailableError (the placement is down, refused, or out of connections; only its
 * organizations are affected), TenantNotServedError (the organization is moving: retry later).
 */
export class TenantRouter {
  constructor(
    readonly directory: PlacementDirectory,
    readonly pools: PlacementPools,
  ) {}

  /** The shared database's serving ORM: users, the directory and the membership index. */
  get shared(): Orm {
    return this.pools.shared;
  }

  /**
   * Begins the organization's session for `userId` on its placement (see openTenantSession).
   * Null when the directory has no such organization, it is archived or erased, or the user is
   * not a member there. The session's end() also returns the pool lease.
   */
  async openSession(organizationId: string, userId: string): Promise<RoutedSession | null> {
    return this.routed(organizationId, async (placement, orm) => {
      const em = forkForTenant(orm.em, organizationId);
      const session = await openTenantSession(em, { organizationId, userId, epoch: placement.epoch });
      return session ? { session, em, placement: placement.placement } : null;
    }, (result, release) => {
      if (!result) return release();
      const end = result.session.end;
      result.session.end = (commit) => end(commit).finally(release);
    });
  }

  /**
   * Runs `work` in its own transaction on the organization's placement, with row-level security
   * set to it (and `session.userId`) behind the placement fence, without a membership check
   * (accepting an invitation: the caller is not a member yet). Null when the directory has no
   * such organization or it is archived or erased.
   */
  async inTenantSession<T>(
    organizationId: string,
    session: Omit<DbSession, 'organizationId' | 'epoch'>,
    work: (tx: TenantEntityManager, placement: string) => Promise<T>,
  ): Promise<{ value: T } | null> {
    return this.routed(organizationId, async (placement, orm) => {
      const entered = { ...session, organizationId, epoch: placement.epoch };
      const value = await inSession(forkForTenant(orm.em, organizationId), entered, (tx) => work(tx, placement.placement));
      return { value };
    }, (_result, release) => release());
  }

  private async routed<T>(
    organizationId: string,
    attempt: (placement: Placement, orm: Orm) => Promise<T | null>,
    settle: (result: T | null, release: () => void) => void,
  ): Promise<T | null> {
    for (let tries = 0; ; tries++) {
      const placement = await this.directory.lookup(organizationId);
      if (!placement || placement.state === 'archived' || placement.state === 'erased') return null;
      // `moving`: still served by its placement, read only (its database says so): see the tenant-move migration.
      if (placement.state !== 'active' && placement.state !== 'moving') throw new TenantNotServedError(organizationId, placement.state);
      const { orm, release } = await this.pools.acquire(placement.placement);
      try {
        const result = await attempt(placement, orm);
        settle(result, release);
        return result;
      } catch (err) {
        release();
        if (err instanceof TenantFencedError) {
          this.directory.invalidate(organizationId);
          if (tries === 0) continue;
          throw new TenantNotServedError(organizationId, err.state === 'active' ? 'moving' : err.state);
        }
        if (isConnectionFailure(err)) throw new PlacementUnavailableError(placement.placement, (err as Error).message);
        throw err;
      }
    }
  }
}
