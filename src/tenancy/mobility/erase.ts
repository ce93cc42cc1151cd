import type pg from 'pg';
import { assertUuid } from '../organization-id.js';
import { SHARED_PLACEMENT } from '../placement/placement-name.js';
import { moveTables } from './move.js';
import { openMove } from './move-journal.js';
import { inTransaction, withOwner } from './owner-connection.js';
import { deleteOrganizationRows } from './purge-archive.js';
import { organizationObjectKeys } from './file-objects.js';
import type { StorageProvider } from '../../storage/storage-provider.js';

/** What an erasure deleted: placement -> table -> rows (users under `user`), and who was erased. */
export interface ErasureReport {
  organizationId: string;
  erasedBy: string;
  counts: Record<string, Record<string, number>>;
  /** Accounts erased with it: members who belonged to no other organization. */
  usersErased: number;
  /** Objects deleted from the deployment's storage: its files' bytes, pending uploads and queued deletions included. */
  objectsErased: number;
}

/** Erasure was refused; the sentence says why. Nothing was deleted. */
export class ErasureRefused extends Error {
  override name = 'ErasureRefused';
}

/**
 * Erases an organization (GDPR, Art. 17): its rows in every tenant table on every placement, its
 * archives included, and its members' accounts that belong to no other organization (in the
 * shared database and their copies on every placement); then checks that no row of it remains
 * anywhere and leaves a tombstone (`organization_tombstone`: id, time, who, counts) and its
 * directory row as `erased` with name and slug replaced. `confirmSlug` must be its slug.
 * A member's past actions in other organizations' audit trails lose their actor (the foreign key
 * sets it to NULL): the person is erased, the other organizations' events stay. Refused
 * (ErasureRefused) for a wrong confirmation, an unknown or erased organization, a move under way.
 * `urls`: every placement's owner URL by name; `erasedBy`: the operator, for the tombstone.
 * The organization's objects in `storage` (from its file rows and queued deletions on every
 * placement, archived copies included) are deleted before its rows, and checked gone after;
 * refused without `storage` when it has any.
 */
export async function eraseOrganization(organizationId: string, confirmSlug: string, urls: Record<string, string>, erasedBy: string, storage?: StorageProvider): Promise<ErasureReport> {
  const org = assertUuid(organizationId, 'organization id');
  return withOwner(urls[SHARED_PLACEMENT]!, async (shared) => {
    const { rows } = await shared.query<{ slug: string; state: string }>('select "slug", "state" from "organization" where "id" = $1', [org]);
    const entry = rows[0];
    if (!entry || entry.state === 'erased') throw new ErasureRefused(`No organization ${org} to erase.`);
    if (entry.slug !== confirmSlug) throw new ErasureRefused(`--confirm must be the organization's slug (${entry.slug}): nothing was erased.`);
    if (await openMove(shared, org)) throw new ErasureRefused('A move of this organization is unfinished: finish or abort it first; nothing was erased.');
    const keys = await objectKeysEverywhere(urls, org);
    if (keys.length > 0 && !storage) throw new ErasureRefused(`The organization has ${keys.length} stored object(s): erasing it needs the deployment's storage; nothing was erased.`);
    // Stops its requests first: an erased organization is routed nowhere.
    await shared.query(`update "organization" set "state" = 'erased' where "id" = $1`, [org]);

    // The bytes first: a crash between here and the rows leaves rows whose objects are gone (the
    // rerun finds fewer), never objects no row names any more.
    for (const key of keys) await storage!.delete(key);
    const members = await membersAlone(shared, org);
    const counts: Record<string, Record<string, number>> = {};
    for (const [placement, url] of Object.entries(urls)) {
      counts[placement] = await withOwner(url, async (client) => {
        const removed = await deleteOrganizationRows(client, org, { keepMemberships: false, organizationRow: placement !== SHARED_PLACEMENT });
        removed.user = await deleteUsers(client, members);
        removed.file_deletion = (await client.query('delete from "file_deletion" where "owner_organization_id" = $1', [org])).rowCount ?? 0;
        return removed;
      });
    }
    for (const [placement, url] of Object.entries(urls)) {
      const left = await withOwner(url, (client) => remainingRows(client, org));
      if (left.length > 0) throw new Error(`Erasure left rows of ${org} on ${placement}: ${left.join(', ')}`);
    }
    for (const key of keys) {
      const still = await storage!.read(key);
      if (still) {
        still.destroy();
        throw new Error(`Erasure left the object ${key} in the store (${storage!.name})`);
      }
    }
    await inTransaction(shared, async () => {
      await shared.query(`update "organization" set "name" = 'erased', "slug" = 'erased-' || "id" where "id" = $1`, [org]);
      await shared.query(`insert into "organization_tombstone" ("erased_organization_id", "erased_by", "counts") values ($1, $2, $3)`, [org, erasedBy, JSON.stringify(counts)]);
    });
    return { organizationId: org, erasedBy, counts, usersErased: members.length, objectsErased: keys.length };
  });
}

/** The organization's object keys on every placement (file rows, archived copies included, and queued deletions), which erasure deletes; the queue's entries go with them. */
async function objectKeysEverywhere(urls: Record<string, string>, org: string): Promise<string[]> {
  const keys = new Set<string>();
  for (const url of Object.values(urls)) {
    await withOwner(url, (client) =>
      inTransaction(client, async () => {
        await client.query(`select set_config('app.organization_id', $1, true)`, [org]);
        for (const key of await organizationObjectKeys(client, org)) keys.add(key);
      }),
    );
  }
  return [...keys];
}

/**
 * The organization's members who belong to no other organization (read in the shared database,
 * where every membership is, as the member: the `own_memberships` policy shows a user's own).
 */
async function membersAlone(shared: pg.Client, org: string): Promise<string[]> {
  return inTransaction(shared, async () => {
    await shared.query(`select set_config('app.organization_id', $1, true)`, [org]);
    const members = (await shared.query<{ user_id: string }>('select "user_id" from "membership" where "organization_id" = $1', [org])).rows.map((r) => r.user_id);
    const alone: string[] = [];
    for (const user of members) {
      await shared.query(`select set_config('app.organization_id', '', true), set_config('app.user_id', $1, true)`, [user]);
      const other = await shared.query('select 1 from "membership" where "user_id" = $1 and "organization_id" <> $2 limit 1', [user, org]);
      if (other.rowCount === 0) alone.push(user);
    }
    return alone;
  });
}

/** Deletes these users' rows (accounts in the shared database, copies elsewhere); their pending sign-ups go with their email. */
async function deleteUsers(client: pg.Client, users: string[]): Promise<number> {
  if (users.length === 0) return 0;
  return inTransaction(client, async () => {
    await client.query('delete from "pending_sign_up" where "email" in (select "email" from "user" where "id" = any($1))', [users]);
    return (await client.query('delete from "user" where "id" = any($1)', [users])).rowCount ?? 0;
  });
}

/** Tables that still hold a row of the organization (with app.organization_id set, so row-level security cannot hide one). */
async function remainingRows(client: pg.Client, org: string): Promise<string[]> {
  return inTransaction(client, async () => {
    await client.query(`select set_config('app.organization_id', $1, true)`, [org]);
    const left: string[] = [];
    for (const table of moveTables()) {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${client.escapeIdentifier(table)} where "organization_id" = $1`, [org]);
      if (rows[0]!.n > 0) left.push(`${table} (${rows[0]!.n})`);
    }
    return left;
  });
}
