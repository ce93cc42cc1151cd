import type pg from 'pg';
import { assertUuid } from '../organization-id.js';
import { SHARED_PLACEMENT } from '../placement/placement-name.js';
import { moveTables } from './move.js';
import { openMove } from './move-journal.js';
import { inTransaction, withOwner } from './owner-connection.js';

/** Rows deleted per statement (and transaction): short locks, bounded WAL per commit. */
export const PURGE_BATCH_ROWS = 5_000;

/** What a purge removed: placement -> table -> rows. */
export type PurgeReport = Record<string, Record<string, number>>;

/**
 * Deletes what moves left of an organization on placements that no longer serve it (its
 * archived rows), in batches of PURGE_BATCH_ROWS rows, children before parents, each batch in its
 * own transaction with app.organization_id set and `organization_id = $1` in every statement:
 * nothing of another organization is touched. Every delete follows a foreign key's index: each
 * tenant table's keys and indexes lead with `organization_id` (the Citus-ready migration), and
 * children go first, so no cascade or SET NULL check scans anything. On the shared database the
 * organization's memberships are kept (they are the membership index sign-in reads), and so is
 * its directory row; on a dedicated placement its `organization` row goes too. Copies of its
 * members' users stay: another organization's audit trail there may name them (erasure, not
 * this, removes people). Refused while a move of the organization is unfinished.
 * `urls`: every placement's owner URL by name (`shared` included).
 */
export async function purgeArchive(organizationId: string, urls: Record<string, string>): Promise<PurgeReport> {
  const org = assertUuid(organizationId, 'organization id');
  const current = await withOwner(urls[SHARED_PLACEMENT]!, async (shared) => {
    if (await openMove(shared, org)) throw new Error('A move of this organization is unfinished: finish or abort it before purging its archive.');
    const { rows } = await shared.query<{ placement: string }>('select "placement" from "organization" where "id" = $1', [org]);
    if (!rows[0]) throw new Error(`No organization ${org} in the directory.`);
    return rows[0].placement;
  });
  const report: PurgeReport = {};
  for (const [placement, url] of Object.entries(urls)) {
    if (placement === current) continue;
    const removed = await withOwner(url, (client) => deleteOrganizationRows(client, org, { keepMemberships: placement === SHARED_PLACEMENT, organizationRow: placement !== SHARED_PLACEMENT }));
    if (Object.values(removed).some((n) => n > 0)) report[placement] = removed;
  }
  return report;
}

/**
 * Deletes the organization's rows from every tenant table of `client`'s database, in batches of
 * PURGE_BATCH_ROWS, children before parents, each batch its own transaction with
 * app.organization_id set and `organization_id = $1` in every statement. `keepMemberships`: leave
 * `membership` (the shared database's index of a dedicated organization). `organizationRow`: also
 * delete the organization's own row there (a dedicated placement's; never the directory's).
 * Returns rows deleted per table (and `organization`).
 */
export async function deleteOrganizationRows(client: pg.Client, org: string, { keepMemberships, organizationRow }: { keepMemberships: boolean; organizationRow: boolean }): Promise<Record<string, number>> {
  const removed: Record<string, number> = {};
  const tables = [...moveTables()].reverse().filter((t) => !(keepMemberships && t === 'membership'));
  for (const table of tables) {
    removed[table] = 0;
    const id = table === 'membership' ? 'user_id' : 'id';
    for (;;) {
      const deleted = await inTransaction(client, async () => {
        await client.query(`select set_config('app.organization_id', $1, true)`, [org]);
        const t = client.escapeIdentifier(table);
        const result = await client.query(
          `delete from ${t} where "organization_id" = $1 and "${id}" in (select "${id}" from ${t} where "organization_id" = $1 limit ${PURGE_BATCH_ROWS})`,
          [org],
        );
        return result.rowCount ?? 0;
      });
      removed[table] += deleted;
      if (deleted < PURGE_BATCH_ROWS) break;
    }
  }
  if (organizationRow) {
    const gone = await client.query(`delete from "organization" where "id" = $1`, [org]);
    removed.organization = gone.rowCount ?? 0;
  }
  return removed;
}
