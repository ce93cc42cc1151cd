import { ChangeSetType, helper, Utils, type ChangeSet, type EventSubscriber, type FlushEventArgs } from '@mikro-orm/core';
import { TenantIsolationError } from './errors.js';
import { TenantEntityManager } from './tenant-entity-manager.js';

/**
 * `flush()` writes by primary key: an UPDATE or DELETE built from `getReference(X, id)` never
 * reads the row, so the tenant filter never sees it. Before anything is sent, every change to a
 * tenant-owned entity must prove it belongs to the EntityManager's organization:
 * - inserts carry that organization's id;
 * - updates and deletes act on a row that was loaded in that organization (a never-loaded
 *   reference has no original data, so it is refused), and never change `organizationId`;
 * - and since "loaded" state can be forged (`merge`, `map`, a managed `create`), the
 *   rows to be updated or deleted are counted in the database, within the organization,
 *   before anything is written. `organization_id` never changes (a trigger refuses it), so
 *   the count cannot go stale before the write.
 * Throwing here aborts the flush and its transaction.
 */
export class TenantFlushGuard implements EventSubscriber {
  async onFlush({ em, uow }: FlushEventArgs): Promise<void> {
    if (!(em instanceof TenantEntityManager) || em.scope?.kind === 'system') return;
    const existing = new Map<string, ChangeSet<object>[]>();
    for (const cs of uow.getChangeSets()) {
      if (!em.isTenantOwned(cs.name)) continue;
      const scopeOrg = em.organizationId; // throws when the EntityManager has no scope
      const entityOrg = (cs.entity as { organizationId?: unknown }).organizationId;
      // Delete change sets carry no originalEntity in MikroORM 6.6: read what was loaded.
      const loadedOrg = (cs.originalEntity ?? helper(cs.entity).__originalEntityData)?.organizationId;
      const isCreate = cs.type === ChangeSetType.CREATE;
      const ok = isCreate
        ? entityOrg === scopeOrg
        : loadedOrg === scopeOrg && entityOrg === scopeOrg && !('organizationId' in (cs.payload ?? {}));
      if (!ok) {
        throw new TenantIsolationError(`${cs.type} of ${cs.name} refused: row of organization ${String(loadedOrg ?? entityOrg)}, scope ${scopeOrg}`);
      }
      if (!isCreate) existing.set(cs.name, [...(existing.get(cs.name) ?? []), cs]);
    }
    for (const [name, changeSets] of existing) await assertRowsInScope(em, name, changeSets);
  }
}

async function assertRowsInScope(em: TenantEntityManager, name: string, changeSets: ChangeSet<object>[]): Promise<void> {
  const primaryKeys = em.getMetadata().get(name).primaryKeys as string[];
  const keys = new Map(changeSets.map((cs) => [JSON.stringify(cs.getPrimaryKey()), cs]));
  const $or = [...keys.values()].map((cs) => Utils.getPrimaryKeyCond(cs.entity as Record<string, unknown>, primaryKeys));
  const found = await em.getDriver().count(name, { $and: [{ $or }, { organizationId: em.organizationId }] }, { ctx: em.getTransactionContext() });
  if (found !== keys.size) {
    throw new TenantIsolationError(`${name}: ${keys.size - found} row(s) to update or delete are not in organization ${em.organizationId}`);
  }
}
