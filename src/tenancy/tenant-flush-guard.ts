import { ChangeSetType, helper, type EventSubscriber, type FlushEventArgs } from '@mikro-orm/core';
import { TenantIsolationError } from './errors.js';
import { TenantEntityManager } from './tenant-entity-manager.js';

/**
 * `flush()` writes by primary key: an UPDATE or DELETE built from `getReference(X, id)` never
 * reads the row, so the tenant filter never sees it. Before anything is sent, every change to a
 * tenant-owned entity must prove it belongs to the EntityManager's organization:
 * - inserts carry that organization's id;
 * - updates and deletes act on a row that was loaded in that organization (a never-loaded
 *   reference has no original data, so it is refused), and never change `organizationId`.
 * Throwing here aborts the flush and its transaction.
 */
export class TenantFlushGuard implements EventSubscriber {
  onFlush({ em, uow }: FlushEventArgs): void {
    if (!(em instanceof TenantEntityManager) || em.scope?.kind === 'system') return;
    for (const cs of uow.getChangeSets()) {
      if (!em.isTenantOwned(cs.name)) continue;
      const scopeOrg = em.organizationId; // throws when the EntityManager has no scope
      // Delete change sets carry no originalEntity in MikroORM 6.6: read what was loaded.
      const loadedOrg = (cs.originalEntity ?? helper(cs.entity).__originalEntityData)?.organizationId;
      const entityOrg = (cs.entity as { organizationId?: unknown }).organizationId;
      const ok =
        cs.type === ChangeSetType.CREATE
          ? entityOrg === scopeOrg
          : loadedOrg === scopeOrg && entityOrg === scopeOrg && !('organizationId' in (cs.payload ?? {}));
      if (!ok) {
        throw new TenantIsolationError(
          `${cs.type} of ${cs.name} refused: row of organization ${String(loadedOrg ?? entityOrg)}, scope ${scopeOrg}`,
        );
      }
    }
  }
}
