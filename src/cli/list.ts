import {
  directoryEntries,
  readAsOwner,
  rowCountsByOrganization,
  tenantTables,
  type DirectoryEntry,
  type TableRowCounts,
} from '../tenancy/placement/placement-census.js';
import { withoutSecrets } from './cli-error.js';
import type { CommandOutput } from './command.js';
import { deploymentContext, knownPlacements } from './deployment-context.js';
import { renderTable } from './table.js';

/** One organization as `npm run tenant -- list` reports it (the `--json` shape). */
export interface OrganizationReport extends DirectoryEntry {
  /** Its memberships on its placement; null when the placement could not be read. */
  members: number | null;
  /** Its rows per tenant table, read on its own placement; null when that could not be read. */
  rows: TableRowCounts | null;
  /** Why the counts are missing: the placement is unknown here or unreachable. */
  error?: string;
}

/**
 * `list`: every organization of the directory (the shared database) with its placement, tier,
 * state and epoch, and its member and row counts read on its own placement (the authoritative
 * copy; the shared database only indexes a dedicated organization's memberships). Read as each
 * database's owner in read-only transactions. A placement that cannot be read leaves its
 * organizations' counts null with the reason, and is not an error.
 */
export async function listCommand(): Promise<CommandOutput<{ organizations: OrganizationReport[] }>> {
  const ctx = await deploymentContext();
  const entries = await readAsOwner(ctx.sharedUrl, directoryEntries);
  const urls = new Map((await knownPlacements(ctx)).map((p) => [p.name, p.url]));
  const byPlacement = new Map<string, DirectoryEntry[]>(); // Map.groupBy is Node 21+
  for (const e of entries) byPlacement.set(e.placement, [...(byPlacement.get(e.placement) ?? []), e]);
  const counted = new Map<string, { rows: TableRowCounts } | { error: string }>();
  await Promise.all(
    [...byPlacement].map(async ([placement, organizations]) => {
      const url = urls.get(placement);
      if (!url) {
        for (const o of organizations) counted.set(o.id, { error: `placement ${placement} is not configured here` });
        return;
      }
      try {
        const counts = await readAsOwner(url, (client) => rowCountsByOrganization(client, organizations.map((o) => o.id)));
        for (const [id, rows] of counts) counted.set(id, { rows });
      } catch (err) {
        const e = err as { code?: string; message?: string };
        const reason = withoutSecrets([e.code, e.message].filter(Boolean).join(': '));
        for (const o of organizations) counted.set(o.id, { error: `placement ${placement} could not be read: ${reason}` });
      }
    }),
  );
  const organizations = entries.map((e) => report(e, counted.get(e.id)));
  return { data: { organizations }, text: () => render(organizations) };
}

function report(entry: DirectoryEntry, counts: { rows: TableRowCounts } | { error: string } | undefined): OrganizationReport {
  const base = { id: entry.id, name: entry.name, slug: entry.slug, placement: entry.placement, tier: entry.tier, state: entry.state, epoch: entry.epoch };
  if (counts && 'rows' in counts) return { ...base, members: counts.rows.membership ?? 0, rows: counts.rows };
  return { ...base, members: null, rows: null, error: counts?.error ?? 'not counted' };
}

function render(organizations: OrganizationReport[]): string {
  if (organizations.length === 0) return 'No organizations.';
  const tables = tenantTables().filter((t) => t !== 'membership');
  const header = ['id', 'slug', 'placement', 'tier', 'state', 'epoch', 'members', ...tables];
  const rows = organizations.map((o) => [o.id, o.slug, o.placement, o.tier, o.state, o.epoch, o.members, ...tables.map((t) => o.rows?.[t] ?? null)]);
  const notes = organizations.filter((o) => o.error).map((o) => `${o.slug}: ${o.error}`);
  return [renderTable(header, rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
