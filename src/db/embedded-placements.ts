import { Placement } from './entities/index.js';
import type { Orm } from './orm.js';

/** The database name a placement created on the embedded server gets: `tenantql_<name>`. */
export function embeddedPlacementDatabase(name: string): string {
  return `tenantql_${name}`;
}

/** `url` with its database replaced (same server, user and password). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * The placements created on the embedded server by `npm run tenant -- placements create`, as
 * listed in the shared database's `placement` table: name -> URL on the same server as the
 * shared database. Only the embedded default has them; configured placements come from
 * PLACEMENT_<NAME>_URL. `refresh` re-reads the table (a placement created while running).
 */
export class EmbeddedPlacements {
  private current: Record<string, string> = {};

  constructor(
    private readonly shared: Orm,
    private readonly sharedUrl: string,
  ) {}

  urls(): Record<string, string> {
    return this.current;
  }

  async refresh(): Promise<void> {
    const rows = await this.shared.em.fork().find(Placement, {}, { orderBy: { name: 'asc' } });
    this.current = Object.fromEntries(rows.map((r) => [r.name, withDatabase(this.sharedUrl, r.databaseName)]));
  }
}
