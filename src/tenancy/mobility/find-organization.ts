import type pg from 'pg';
import type { DirectoryEntry } from '../placement/placement-census.js';
import { withOwner } from './owner-connection.js';

/**
 * The directory entry (shared database) of the organization an operator named by its id or its
 * slug; null when none matches. Run on the shared database.
 */
export async function findDirectoryEntry(client: pg.Client, idOrSlug: string): Promise<DirectoryEntry | null> {
  const { rows } = await client.query<DirectoryEntry>(
    `select "id", "name", "slug", "placement", "tier", "state", "placement_epoch" as "epoch" from "organization" where "id"::text = $1 or "slug" = $1`,
    [idOrSlug.trim().toLowerCase()],
  );
  return rows[0] ?? null;
}

/** The id of the organization named by id or slug, read from the directory at `sharedUrl` as its owner; undefined when none. */
export async function findOrganization(sharedUrl: string, idOrSlug: string): Promise<string | undefined> {
  return (await withOwner(sharedUrl, (shared) => findDirectoryEntry(shared, idOrSlug)))?.id;
}
