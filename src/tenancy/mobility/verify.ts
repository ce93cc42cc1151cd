import type pg from 'pg';
import { addSums, EMPTY_SUM, formatHash, hashChunk } from './content-hash.js';
import { organizationEntries, type OrganizationEntry } from './organization-entries.js';
import { readOrganizationSnapshot } from './owner-connection.js';

/** Rows hashed per statement: a big organization is read in many bounded statements, never one huge one. */
export const DEFAULT_CHUNK_ROWS = 10_000;

/** One entry's rows and content hash (32 hex digits, see content-hash.ts). */
export interface EntryDigest {
  rows: number;
  hash: string;
}

/** An organization's data on one database: entry name (`organization`, `user`, each tenant table) -> digest. */
export interface OrganizationDigest {
  organizationId: string;
  entries: Record<string, EntryDigest>;
}

/**
 * Digests one entry: its rows in chunks of `chunkRows` by key order (keyset over
 * (organization_id, key)), the chunk sums added up. Same transaction rules as digestOrganization.
 */
export async function digestEntry(client: pg.Client, entry: OrganizationEntry, organizationId: string, chunkRows = DEFAULT_CHUNK_ROWS): Promise<EntryDigest> {
  let sum = EMPTY_SUM;
  let after: string | null = null;
  for (;;) {
    const chunk = await hashChunk(client, entry, organizationId, after, chunkRows);
    sum = addSums(sum, chunk.sum);
    if (chunk.sum.rows < chunkRows || chunk.last === null) break;
    after = chunk.last;
  }
  return { rows: sum.rows, hash: formatHash(sum) };
}

/**
 * The organization's digest on the database `client` is connected to: per entry (its
 * `organization` row, its members' `user` rows without password hashes, every tenant table)
 * the row count and the order-independent content hash, computed in PostgreSQL. Every statement
 * is filtered by the organization's id; call it inside a transaction with app.organization_id
 * set to that id (readOrganizationSnapshot does both, in one snapshot): another organization's
 * rows are never read. `chunkRows`: rows per statement.
 */
export async function digestOrganization(client: pg.Client, organizationId: string, chunkRows = DEFAULT_CHUNK_ROWS): Promise<OrganizationDigest> {
  const entries: Record<string, EntryDigest> = {};
  for (const entry of await organizationEntries(client)) entries[entry.name] = await digestEntry(client, entry, organizationId, chunkRows);
  return { organizationId, entries };
}

/** digestOrganization on `url`, as its owner, in one REPEATABLE READ READ ONLY snapshot. */
export function digestOrganizationAt(url: string, organizationId: string, chunkRows = DEFAULT_CHUNK_ROWS): Promise<OrganizationDigest> {
  return readOrganizationSnapshot(url, organizationId, (client) => digestOrganization(client, organizationId, chunkRows));
}

/** One entry compared: each side's digest (null: the entry is missing on that side) and whether they agree. */
export interface EntryComparison {
  name: string;
  a: EntryDigest | null;
  b: EntryDigest | null;
  match: boolean;
}

/** Two digests compared: every entry of either side, in a's order then b's extras; `equal` when all match. */
export interface OrganizationComparison {
  equal: boolean;
  entries: EntryComparison[];
}

/** Compares two digests of one organization entry by entry: equal rows and equal hash. */
export function compareOrganization(a: OrganizationDigest, b: OrganizationDigest): OrganizationComparison {
  const names = [...new Set([...Object.keys(a.entries), ...Object.keys(b.entries)])];
  const entries = names.map((name) => {
    const x = a.entries[name] ?? null;
    const y = b.entries[name] ?? null;
    return { name, a: x, b: y, match: x !== null && y !== null && x.rows === y.rows && x.hash === y.hash };
  });
  return { equal: entries.every((e) => e.match), entries };
}
