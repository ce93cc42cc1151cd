import type pg from 'pg';
import type { Column, OrganizationEntry } from './organization-entries.js';

// An order-independent content hash of a set of rows, computed in PostgreSQL: each row's
// canonical text is hashed with md5 and the 128-bit digests are added up, as two 64-bit lanes,
// modulo 2^64 each (an additive multiset hash: any order, any chunking, same sum). md5 guards
// against corruption and edits made behind the tool's back, not against someone who can also
// rewrite the manifest: an archive is not signed.

/** A running sum: rows seen, and the two 64-bit lanes of the md5 sum, exactly (numeric in PostgreSQL, bigint here). */
export interface HashSum {
  rows: number;
  hi: bigint;
  lo: bigint;
}

export const EMPTY_SUM: HashSum = { rows: 0, hi: 0n, lo: 0n };

export const addSums = (a: HashSum, b: HashSum): HashSum => ({ rows: a.rows + b.rows, hi: a.hi + b.hi, lo: a.lo + b.lo });

const LANE = 2n ** 64n;
const lane = (x: bigint) => (((x % LANE) + LANE) % LANE).toString(16).padStart(16, '0');

/** The sum as 32 lower-case hex digits (each lane modulo 2^64); 32 zeros for no rows. */
export const formatHash = (sum: HashSum): string => lane(sum.hi) + lane(sum.lo);

/**
 * One column's value as canonical text, the same on every PostgreSQL version and session:
 * timestamps in UTC with microseconds always written (`AT TIME ZONE 'UTC'` then `to_char`,
 * PostgreSQL docs 9.9.4 and 9.8), so neither the session's TimeZone nor the trailing-zero
 * trimming of the default output changes it; every other type by its text output (uuid, text,
 * integers, booleans, enums: fixed formats). NULL stays NULL.
 */
function canonicalValue(column: Column, alias: string): string {
  const ref = `${alias}."${column.name.replace(/"/g, '""')}"`;
  if (column.type.startsWith('timestamp') && column.type.endsWith('with time zone')) return `to_char(${ref} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  if (column.type.startsWith('timestamp')) return `to_char(${ref}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
  return `${ref}::text`;
}

/**
 * A row's canonical text: `json_build_object(name, value, ...)::text` over `columns` in the given
 * (sorted) order (PostgreSQL docs 9.16, JSON functions), so a value can never be mistaken for
 * its neighbour, names included so that a renamed or added column changes every hash.
 */
export function canonicalRowSql(columns: Column[], alias = 't'): string {
  const pairs = columns.map((c) => `'${c.name.replace(/'/g, "''")}', ${canonicalValue(c, alias)}`);
  return `json_build_object(${pairs.join(', ')})::text`;
}

// md5 (docs 9.4, string functions) in hex; each half read as a 64-bit integer through bit(64)
// (docs 9.6: a bit string casts to bigint) and summed as numeric, which never overflows.
const SUMS = `count(*)::int as "rows",
  coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint), 0)::text as "hi",
  coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint), 0)::text as "lo"`;

type SumRow = { rows: number; hi: string; lo: string; last?: string | null };
const toSum = (r: SumRow): HashSum => ({ rows: r.rows, hi: BigInt(r.hi), lo: BigInt(r.lo) });

/**
 * Hashes one chunk of the organization's rows of `entry`: at most `limit` rows whose key is
 * after `after` (null: from the start), in key order (keyset pagination over the primary key,
 * so each chunk is one index range scan). Returns the chunk's sum and its last key (null when
 * empty). Every statement is filtered by `organization_id = $1` (the entry's source); the caller
 * also runs it with app.organization_id set (row-level security).
 */
export async function hashChunk(
  client: pg.Client,
  entry: OrganizationEntry,
  organizationId: string,
  after: string | null,
  limit: number,
): Promise<{ sum: HashSum; last: string | null }> {
  const key = `t."${entry.key}"`;
  const range = after === null ? '' : ` and ${key} > $3::uuid`;
  const sql = `with chunk as (
      select ${key} as k, md5(${canonicalRowSql(entry.hashed)}) as h from ${entry.source}
       where true${range} order by ${key} limit $2)
    select ${SUMS}, (select k from chunk order by k desc limit 1)::text as "last" from chunk`;
  const { rows } = await client.query<SumRow>(sql, after === null ? [organizationId, limit] : [organizationId, limit, after]);
  return { sum: toSum(rows[0]!), last: rows[0]!.last ?? null };
}

/**
 * Hashes rows given as JSON objects (as `row_to_json` wrote them into an archive) exactly as
 * hashChunk hashes the stored rows of `entry`: `json_populate_recordset(null::<table>, ...)`
 * (docs 9.16) types each value as its column, then the same canonical text. Reads no table.
 */
export async function hashJsonRows(client: pg.Client, entry: OrganizationEntry, rows: object[]): Promise<HashSum> {
  if (rows.length === 0) return EMPTY_SUM;
  const sql = `with chunk as (select md5(${canonicalRowSql(entry.hashed)}) as h from json_populate_recordset(null::${client.escapeIdentifier(entry.table)}, $1::json) t)
    select ${SUMS} from chunk`;
  const result = await client.query<SumRow>(sql, [JSON.stringify(rows)]);
  return toSum(result.rows[0]!);
}

/**
 * Inserts rows given as JSON objects into `entry`'s table and returns their hash as hashJsonRows
 * computes it, in one statement that parses the JSON once: a data-modifying WITH (PostgreSQL
 * docs 7.8.4) inserts what `json_populate_recordset` made of it, and the same records are hashed.
 * For imports, whose batches are hashed as they are written.
 */
export async function insertJsonRows(client: pg.Client, entry: OrganizationEntry, rows: object[]): Promise<HashSum> {
  if (rows.length === 0) return EMPTY_SUM;
  const table = client.escapeIdentifier(entry.table);
  const sql = `with t as (select * from json_populate_recordset(null::${table}, $1::json)),
      inserted as (insert into ${table} select * from t),
      chunk as (select md5(${canonicalRowSql(entry.hashed)}) as h from t)
    select ${SUMS} from chunk`;
  const result = await client.query<SumRow>(sql, [JSON.stringify(rows)]);
  return toSum(result.rows[0]!);
}
