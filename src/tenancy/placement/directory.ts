import { LRUCache } from 'lru-cache';
import type { OrganizationState } from '../../db/entities/organization.js';
import type { Orm } from '../../db/orm.js';
import { isUuid } from '../organization-id.js';

/** Where an organization lives, as the directory (the shared database's `organization` rows) says. */
export interface Placement {
  /** `shared` or a dedicated placement's name. */
  placement: string;
  state: OrganizationState;
  /** Raised by every switch; requests send it and the placement's database fences on it. */
  epoch: number;
}

/** Directory entries held at once by one instance (each a few hundred bytes). */
const CACHE_ENTRIES = 50_000;

// A plain statement rather than the ORM's findOne: a miss happens on a request's path (every
// organization not seen for `ttlMs`), and hydrating an entity in a fresh fork cost more CPU than
// the read itself (bench profile, issue 13).
const LOOKUP_SQL = 'select placement, state, placement_epoch from organization where id = ?';

interface DirectoryRow {
  placement: string;
  state: OrganizationState;
  placement_epoch: number;
}

/**
 * The routing directory: each organization's placement, state and epoch, read from the shared
 * database through its serving connections (`organization` is readable by the serving role) and
 * cached for `ttlMs` (PLACEMENT_CACHE_TTL_MS). A stale entry is harmless: the placement's
 * database refuses an organization it no longer serves (TenantFencedError) and the router then
 * calls `invalidate` and looks again, so a switch is seen at once by the next request that
 * reaches the old placement and by every instance within `ttlMs` in any case.
 */
export class PlacementDirectory {
  private readonly cache: LRUCache<string, Placement>;

  constructor(
    /** The shared database's serving ORM. */
    private readonly shared: Orm,
    /** Cache lifetime in ms; 0: every lookup reads the directory. */
    private readonly ttlMs: number,
  ) {
    this.cache = new LRUCache({ max: CACHE_ENTRIES, ttl: Math.max(ttlMs, 1) });
  }

  /** The organization's placement, or null when the directory has no such organization. One indexed read on a miss. */
  async lookup(organizationId: string): Promise<Placement | null> {
    const cached = this.ttlMs > 0 ? this.cache.get(organizationId) : undefined;
    if (cached) return cached;
    // Not a uuid: no such organization (PostgreSQL would refuse the parameter).
    if (!isUuid(organizationId)) return null;
    const row: DirectoryRow | undefined = await this.shared.em.getConnection('write').execute<DirectoryRow>(LOOKUP_SQL, [organizationId.toLowerCase()], 'get');
    if (!row) return null;
    const found = { placement: row.placement, state: row.state, epoch: row.placement_epoch };
    if (this.ttlMs > 0) this.cache.set(organizationId, found);
    return found;
  }

  /** Forgets one organization's entry (after the database fenced it), or all of them. */
  invalidate(organizationId?: string): void {
    if (organizationId) this.cache.delete(organizationId);
    else this.cache.clear();
  }
}
