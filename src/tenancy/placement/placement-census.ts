import pg from 'pg';
import { tenantFilteredEntities } from '../../db/entities/index.js';
import { ORGANIZATION_STATES, type OrganizationState } from '../../db/entities/organization.js';

// What a placement's database holds, read as its owner (the URL's own user) on one short
// connection, for operators (`npm run tenant -- placements`, `list`) and for checking a move.
// Read-only: nothing here writes, not even the Migrator's bookkeeping table.

/** How long (ms) opening the owner connection may take before the placement counts as unreachable. */
const CONNECT_TIMEOUT_MS = 3_000;

/** The tenant-owned tables (those of the entities the tenant filter covers), by table name. */
export function tenantTables(): string[] {
  return tenantFilteredEntities.map((entity) => entity.meta.tableName);
}

/** Row counts per tenant table: table name -> rows. */
export type TableRowCounts = Record<string, number>;

/**
 * Runs `fn` on one connection to `url` as its own user, in a READ ONLY transaction (so nothing
 * it runs can write), and closes the connection. Connection failures are thrown as the driver
 * raises them (see isConnectionFailure in placement-errors.ts).
 */
export async function readAsOwner<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined); // a connection lost mid-read surfaces as the query's error
  await client.connect();
  try {
    await client.query('begin transaction read only');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The migrations applied to the database (`mikro_orm_migrations`, in order); empty when it has none. */
export async function appliedMigrations(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ exists: boolean }>(`select to_regclass('mikro_orm_migrations') is not null as exists`);
  if (!rows[0]?.exists) return [];
  return (await client.query<{ name: string }>('select "name" from "mikro_orm_migrations" order by "id"')).rows.map((r) => r.name);
}

/** The name in `placement_identity`, or null when the database has none yet (or predates placements). */
export async function placementIdentity(client: pg.Client): Promise<string | null> {
  const { rows } = await client.query<{ exists: boolean }>(`select to_regclass('placement_identity') is not null as exists`);
  if (!rows[0]?.exists) return null;
  return (await client.query<{ name: string }>('select "name" from "placement_identity"')).rows[0]?.name ?? null;
}

/**
 * The organizations whose `organization` row says `placement` (in the shared database: the
 * directory's entries for that placement; in a dedicated one: those it serves), with their state.
 */
export async function organizationsPlacedOn(client: pg.Client, placement: string): Promise<{ id: string; state: OrganizationState }[]> {
  const { rows } = await client.query<{ id: string; state: OrganizationState }>(
    'select "id", "state" from "organization" where "placement" = $1 order by "created_at", "id"',
    [placement],
  );
  return rows;
}

/** Organizations by state, every state present (0 when none). */
export function countByState(organizations: { state: OrganizationState }[]): Record<OrganizationState, number> {
  const counts = Object.fromEntries(ORGANIZATION_STATES.map((s) => [s, 0])) as Record<OrganizationState, number>;
  for (const { state } of organizations) counts[state] = (counts[state] ?? 0) + 1;
  return counts;
}

/**
 * Each organization's rows in every tenant table, on the database `client` is connected to.
 * Row-level security is FORCEd on tenant tables, so it binds a table owner that is not a
 * superuser or BYPASSRLS role (PostgreSQL docs, "Row Security Policies"): each organization is
 * counted with `app.organization_id` set to it (transaction-local), which reads the same for
 * every owner. Two statements per organization: fine for an operator's listing, not for a loop.
 */
export async function rowCountsByOrganization(client: pg.Client, organizationIds: string[]): Promise<Map<string, TableRowCounts>> {
  const tables = tenantTables();
  const counts = tables.map((t) => `(select count(*)::int from ${client.escapeIdentifier(t)} where "organization_id" = $1) as ${client.escapeIdentifier(t)}`);
  const result = new Map<string, TableRowCounts>();
  for (const id of organizationIds) {
    await client.query(`select set_config('app.organization_id', $1, true)`, [id]);
    const { rows } = await client.query<TableRowCounts>(`select ${counts.join(', ')}`, [id]);
    result.set(id, rows[0]!);
  }
  await client.query(`select set_config('app.organization_id', '', true)`);
  return result;
}

/** The sum of several organizations' row counts, every tenant table present. */
export function sumRowCounts(counts: Iterable<TableRowCounts>): TableRowCounts {
  const total = Object.fromEntries(tenantTables().map((t) => [t, 0]));
  for (const one of counts) for (const [table, n] of Object.entries(one)) total[table] = (total[table] ?? 0) + n;
  return total;
}

/** An organization as the directory (the shared database's `organization` rows) has it. */
export interface DirectoryEntry {
  id: string;
  name: string;
  slug: string;
  placement: string;
  tier: string;
  state: OrganizationState;
  epoch: number;
}

/** Every organization in the directory, oldest first. Run on the shared database. */
export async function directoryEntries(client: pg.Client): Promise<DirectoryEntry[]> {
  const { rows } = await client.query<DirectoryEntry>(
    `select "id", "name", "slug", "placement", "tier", "state", "placement_epoch" as "epoch" from "organization" order by "created_at", "id"`,
  );
  return rows;
}

/**
 * The placements created on the embedded server (the shared database's `placement` table):
 * name -> database name. Empty when the table does not exist yet.
 */
export async function listedPlacements(client: pg.Client): Promise<Record<string, string>> {
  const { rows } = await client.query<{ exists: boolean }>(`select to_regclass('placement') is not null as exists`);
  if (!rows[0]?.exists) return {};
  const listed = await client.query<{ name: string; database_name: string }>('select "name", "database_name" from "placement" order by "name"');
  return Object.fromEntries(listed.rows.map((r) => [r.name, r.database_name]));
}
