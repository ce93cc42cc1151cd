import type pg from 'pg';
import { tenantTables } from '../placement/placement-census.js';

// What "an organization's data" is, entry by entry, for verification, export and import: its
// own row, its members' user rows, and every tenant table. The table list comes from the ORM
// metadata (tenantFilteredEntities, through tenantTables()), never from a list written here, so
// a new tenant table travels and is verified from the day it is added; the columns, keys and
// user references come from each database's own catalog.

/** A column as the catalog has it: its name and `format_type` (e.g. `timestamp(3) with time zone`). */
export interface Column {
  name: string;
  type: string;
}

/** One entry of an organization's data: a table, or the part of a global table that is the organization's. */
export interface OrganizationEntry {
  /** The entry's name in reports and archives: the table name (`organization`, `user`, `document`, ...). */
  name: string;
  table: string;
  /** The columns hashed and compared, sorted by name (a fixed order on every database). */
  hashed: Column[];
  /** Every column of the table, sorted by name: what an archive carries (before exclusions, see `user`). */
  all: Column[];
  /** The uuid column rows are read in order of (keyset chunks): the primary key without organization_id. */
  key: string;
  /**
   * The rows of organization `$1`, as a FROM item named `t`: the table filtered by
   * `organization_id = $1`, or for users the members' rows, reached through the organization's
   * memberships (its primary key's range), never by scanning every account.
   */
  source: string;
  /** Columns holding a user id (foreign keys to user.id or to membership.user_id): remapped when an import matches an existing account. */
  userColumns: string[];
}

/** The organization's own row: what it is, not where it lives (placement, state and epoch differ between copies by design). */
const ORGANIZATION_COLUMNS = ['created_at', 'id', 'name', 'slug', 'tier'];
/** A member's user row as every placement has it; never the password hash (copies on dedicated placements have none). */
const USER_COLUMNS = ['created_at', 'email', 'id', 'name'];

const COLUMNS_SQL = `select a."attname" as "name", format_type(a."atttypid", a."atttypmod") as "type"
  from "pg_attribute" a where a."attrelid" = $1::regclass and a."attnum" > 0 and not a."attisdropped" order by a."attname" collate "C"`;
const PRIMARY_KEY_SQL = `select a."attname" as "name" from "pg_index" i
  join "pg_attribute" a on a."attrelid" = i."indrelid" and a."attnum" = any(i."indkey")
 where i."indrelid" = $1::regclass and i."indisprimary"`;
// Columns of a foreign key whose referenced column is user.id or membership.user_id (pg_constraint: conkey pairs with confkey).
const USER_REFERENCES_SQL = `select distinct a."attname" as "name" from "pg_constraint" c
  cross join lateral unnest(c."conkey", c."confkey") as k("col", "ref")
  join "pg_attribute" a on a."attrelid" = c."conrelid" and a."attnum" = k."col"
  join "pg_attribute" r on r."attrelid" = c."confrelid" and r."attnum" = k."ref"
 where c."conrelid" = $1::regclass and c."contype" = 'f'
   and ((c."confrelid" = '"user"'::regclass and r."attname" = 'id') or (c."confrelid" = '"membership"'::regclass and r."attname" = 'user_id'))
 order by 1`;

/**
 * The organization's entries on the database `client` is connected to, in archive order:
 * `organization`, `user`, then the tenant tables (tenantTables()). Reads only the catalogs
 * (pg_attribute, pg_index, pg_constraint). Throws when a tenant table's primary key is not
 * (organization_id, one uuid column), which the start-up checks already require.
 */
export async function organizationEntries(client: pg.Client): Promise<OrganizationEntry[]> {
  const columnsOf = async (table: string) => (await client.query<Column>(COLUMNS_SQL, [client.escapeIdentifier(table)])).rows;
  const pick = (all: Column[], names: string[]) => all.filter((c) => names.includes(c.name));
  const organization = await columnsOf('organization');
  const user = await columnsOf('user');
  const entries: OrganizationEntry[] = [
    {
      name: 'organization',
      table: 'organization',
      hashed: pick(organization, ORGANIZATION_COLUMNS),
      all: organization,
      key: 'id',
      source: '(select o.* from "organization" o where o."id" = $1) t',
      userColumns: [],
    },
    {
      name: 'user',
      table: 'user',
      hashed: pick(user, USER_COLUMNS),
      all: user,
      key: 'id',
      source: '(select u.* from "membership" m join "user" u on u."id" = m."user_id" where m."organization_id" = $1) t',
      userColumns: ['id'],
    },
  ];
  for (const table of tenantTables()) {
    const regclass = client.escapeIdentifier(table);
    const all = await columnsOf(table);
    const keys = (await client.query<{ name: string }>(PRIMARY_KEY_SQL, [regclass])).rows.map((r) => r.name).filter((n) => n !== 'organization_id');
    if (keys.length !== 1) throw new Error(`tenant table ${table}: its primary key must be (organization_id, one column), found ${keys.join(', ') || 'none'}`);
    const userColumns = (await client.query<{ name: string }>(USER_REFERENCES_SQL, [regclass])).rows.map((r) => r.name);
    entries.push({ name: table, table, hashed: all, all, key: keys[0]!, source: `(select x.* from ${regclass} x where x."organization_id" = $1) t`, userColumns });
  }
  return entries;
}
