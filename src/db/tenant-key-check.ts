import type { Orm } from './orm.js';

/** The column every tenant table is distributed and published by. */
export const TENANT_COLUMN = 'organization_id';

/** A tenant table (of an entity with `organizationId`) and its entity, for naming it in a problem. */
export interface TenantTable {
  entity: string;
  table: string;
}

/** One index-backed key: a primary key, a unique constraint or index, an exclusion constraint. */
interface KeyRow {
  name: string;
  kind: 'primary key' | 'unique constraint' | 'unique index' | 'exclusion constraint';
  /** Key columns in order (INCLUDE columns left out); null for an expression. */
  columns: (string | null)[];
}

interface ForeignKeyRow {
  name: string;
  /** The other table: the referenced one (outgoing) or the referencing one (incoming). */
  other: string;
  /** Column pairs, referencing column first. */
  pairs: [string, string][];
}

interface TableKeys {
  table: string;
  /** pg_class.relreplident: `d` default (the primary key), `n` nothing, `f` full, `i` an index. */
  replicaIdentity: 'd' | 'n' | 'f' | 'i';
  keys: KeyRow[];
  /** The index REPLICA IDENTITY USING INDEX names, when `i`. */
  replicaIndex: KeyRow | null;
  outgoing: ForeignKeyRow[];
  incoming: ForeignKeyRow[];
}

/** Key columns of index `i`, in order; an expression column is null. */
const INDEX_COLUMNS = `(select json_agg(a.attname order by k.ord)
   from unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
   left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
  where k.ord <= i.indnkeyatts)`;

/** Foreign keys of `c` (outgoing: conrelid; incoming: confrelid), with their column pairs. */
const foreignKeys = (side: 'conrelid' | 'confrelid', other: 'conrelid' | 'confrelid') => `coalesce((select json_agg(json_build_object(
     'name', f.conname, 'other', o.relname,
     'pairs', (select json_agg(json_build_array(ra.attname, ta.attname) order by p.ord)
                 from unnest(f.conkey, f.confkey) with ordinality as p(referencing, referenced, ord)
                 join pg_attribute ra on ra.attrelid = f.conrelid and ra.attnum = p.referencing
                 join pg_attribute ta on ta.attrelid = f.confrelid and ta.attnum = p.referenced)))
   from pg_constraint f join pg_class o on o.oid = f.${other}
  where f.contype = 'f' and f.${side} = c.oid), '[]')`;

const KEYS_SQL = `select wanted.name as "table", c.relreplident as "replicaIdentity",
    coalesce((select json_agg(json_build_object(
        'name', coalesce(k.conname, ic.relname),
        'kind', case when i.indisprimary then 'primary key' when k.contype = 'u' then 'unique constraint'
                     when i.indisexclusion then 'exclusion constraint' else 'unique index' end,
        'columns', ${INDEX_COLUMNS}) order by ic.relname)
       from pg_index i join pg_class ic on ic.oid = i.indexrelid
       left join pg_constraint k on k.conindid = i.indexrelid and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x')
      where i.indrelid = c.oid and (i.indisunique or i.indisexclusion)), '[]') as keys,
    (select json_build_object('name', ic.relname, 'kind', 'unique index', 'columns', ${INDEX_COLUMNS})
       from pg_index i join pg_class ic on ic.oid = i.indexrelid
      where i.indrelid = c.oid and i.indisreplident) as "replicaIndex",
    ${foreignKeys('conrelid', 'confrelid')} as outgoing,
    ${foreignKeys('confrelid', 'conrelid')} as incoming
  from json_array_elements_text(?::json) as wanted(name)
  join pg_class c on c.oid = to_regclass(quote_ident(wanted.name))`;

/**
 * What the schema must hold so that it can be distributed by Citus on `organization_id` and
 * published with a row filter on it: returns one sentence per problem, naming the table and the
 * constraint (empty when all is right). For each tenant table (a table that does not exist is
 * left to the caller, src/db/tenant-table-check.ts, which reports it):
 * - a primary key, and it includes `organization_id`; so does every unique constraint, unique
 *   index (partial ones too) and exclusion constraint. Citus docs ("Creating and Modifying
 *   Distributed Tables (DDL)", Adding/Removing Constraints): "Primary keys and uniqueness
 *   constraints must include the distribution column", since each shard enforces them alone.
 * - every foreign key to another tenant table pairs `organization_id` with `organization_id`.
 *   Citus: between co-located distributed tables "always include the distribution column in
 *   the key"; it is also what keeps a row from naming another organization's row.
 * - no foreign key from a table that is not a tenant table references it: global tables become
 *   Citus reference tables, and foreign keys are supported only between co-located distributed
 *   tables or from a distributed table to a reference table (same section). Tenant tables may
 *   reference global ones (`user`, `organization`).
 * - its replica identity covers `organization_id`: DEFAULT with such a primary key, USING INDEX
 *   with such an index, or FULL. PostgreSQL docs, CREATE PUBLICATION: a row filter must contain
 *   only columns covered by the replica identity for UPDATE and DELETE to be published, and
 *   UPDATE/DELETE on the table fail otherwise; ALTER TABLE ... REPLICA IDENTITY: DEFAULT records
 *   the primary key's columns, NOTHING none.
 *
 * Reads only the catalogs (pg_class, pg_index, pg_constraint, pg_attribute), which every role
 * may read, so it runs on the serving connection of every placement.
 */
export async function tenantKeyProblems(serving: Orm, tables: TenantTable[]): Promise<string[]> {
  const rows = await serving.em.getDriver().getConnection().execute<TableKeys[]>(KEYS_SQL, [JSON.stringify(tables.map((t) => t.table))]);
  const tenant = new Set(tables.map((t) => t.table));
  const problems: string[] = [];
  for (const { entity, table } of tables) {
    const row = rows.find((r) => r.table === table);
    if (row) problems.push(...tableProblems(`tenant table "${table}" (entity ${entity})`, row, tenant));
  }
  return problems;
}

const covers = (key: KeyRow | null | undefined): boolean => !!key?.columns.includes(TENANT_COLUMN);
const describeKey = (key: KeyRow) => `${key.kind} ${key.name} (${key.columns.map((c) => c ?? '<expression>').join(', ')})`;

function tableProblems(name: string, row: TableKeys, tenant: Set<string>): string[] {
  const problems: string[] = [];
  const primary = row.keys.find((k) => k.kind === 'primary key');
  if (!primary) problems.push(`${name}: no primary key; Citus and row-filtered logical replication need one that includes ${TENANT_COLUMN}`);
  for (const key of row.keys.filter((k) => !covers(k))) {
    problems.push(`${name}: ${describeKey(key)} does not include ${TENANT_COLUMN} (Citus requires the distribution column in every primary key and unique constraint)`);
  }
  for (const fk of row.outgoing.filter((f) => tenant.has(f.other))) {
    if (!fk.pairs.some(([from, to]) => from === TENANT_COLUMN && to === TENANT_COLUMN)) {
      problems.push(`${name}: foreign key ${fk.name} to tenant table "${fk.other}" does not pair ${TENANT_COLUMN} with ${TENANT_COLUMN}, so a row could name another organization's row and Citus cannot co-locate the key`);
    }
  }
  for (const fk of row.incoming.filter((f) => !tenant.has(f.other))) {
    problems.push(`${name}: foreign key ${fk.name} of "${fk.other}", which is not a tenant table, references it (Citus supports no foreign key from a reference table to a distributed table)`);
  }
  const identityCovered = { d: covers(primary), i: covers(row.replicaIndex), f: true, n: false }[row.replicaIdentity];
  if (!identityCovered) {
    const identity = { d: 'DEFAULT (the primary key)', i: `USING INDEX ${row.replicaIndex?.name ?? '(an index since dropped)'}`, f: 'FULL', n: 'NOTHING' }[row.replicaIdentity];
    problems.push(
      `${name}: replica identity ${identity} does not cover ${TENANT_COLUMN}, so once a publication filters its rows by ${TENANT_COLUMN} every UPDATE and DELETE of the table fails ` +
        `(alter table "${row.table}" replica identity default, with a primary key that includes ${TENANT_COLUMN})`,
    );
  }
  return problems;
}
