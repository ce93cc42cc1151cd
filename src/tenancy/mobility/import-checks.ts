import type pg from 'pg';
import type { ArchiveManifest } from './archive-format.js';
import { EMPTY_SUM, formatHash, type HashSum } from './content-hash.js';
import { MobilityError } from './mobility-errors.js';
import type { OrganizationEntry } from './organization-entries.js';
import type { ImportTarget } from './import-organization.js';
import type { OrganizationDigest } from './verify.js';

/**
 * Refuses an archive whose entries or columns are not the target's: every entry of the target
 * (organization, user, each tenant table) must be in the manifest with exactly the target's
 * columns, a user's password hash aside (carried only on request), and no other entry. A
 * schema version this code knows but whose tables differ (an older export) is refused here,
 * naming the table.
 */
export function checkArchiveShape(manifest: ArchiveManifest, entries: OrganizationEntry[]): void {
  const names = new Set(entries.map((e) => e.name));
  const extra = Object.keys(manifest.entries).filter((n) => !names.has(n));
  if (extra.length > 0) throw new MobilityError(`The archive has tables this deployment does not have (${extra.join(', ')}): it is of another schema.`);
  for (const entry of entries) {
    const archived = manifest.entries[entry.name];
    if (!archived) throw new MobilityError(`The archive has no ${entry.name} table: it is of another schema, or incomplete.`);
    const optional = entry.name === 'user' ? ['password_hash'] : [];
    const here = entry.all.map((c) => c.name).filter((c) => !optional.includes(c));
    const there = archived.columns.filter((c) => !optional.includes(c));
    if (here.join() !== [...there].sort().join()) {
      throw new MobilityError(`The archive's ${entry.name} columns (${there.join(', ')}) are not this deployment's (${here.join(', ')}): export it again with this version.`);
    }
  }
}

/**
 * Refuses an organization the target already has: its id or slug in the shared database's
 * directory, or any row of it on the dedicated placement (an archived copy a move left there
 * included). In single-tenant mode the database must hold no organization at all: the server
 * creates DEFAULT_ORGANIZATION_ID on its first start, so the import comes first.
 */
export async function refuseExisting(shared: pg.Client, dedicated: pg.Client | null, manifest: ArchiveManifest, target: ImportTarget): Promise<void> {
  const { id, slug } = manifest.organization;
  if (target.mode === 'single_tenant') {
    const { rows } = await shared.query<{ id: string }>('select "id" from "organization" limit 1');
    if (rows.length > 0) {
      throw new MobilityError(
        `This single-tenant database already holds organization ${rows[0]!.id}: import into a database that holds none, before the server's first start (which creates DEFAULT_ORGANIZATION_ID).`,
      );
    }
    return;
  }
  const found = await shared.query<{ id: string; slug: string }>('select "id", "slug" from "organization" where "id" = $1 or "slug" = $2', [id, slug]);
  const byId = found.rows.find((r) => r.id === id);
  if (byId) throw new MobilityError(`Organization ${id} already exists in this deployment (slug ${byId.slug}): nothing was imported.`);
  if (found.rows.length > 0) throw new MobilityError(`The slug ${slug} is taken in this deployment (organization ${found.rows[0]!.id}): nothing was imported.`);
  if (dedicated) {
    const there = await dedicated.query<{ state: string }>('select "state" from "organization" where "id" = $1', [id]);
    if (there.rows.length > 0) throw new MobilityError(`Placement ${target.placement} already holds organization ${id} (${there.rows[0]!.state}): nothing was imported.`);
  }
}

/** Refuses (naming them) the entries whose rows, as read from the archive, do not hash to the manifest's count and hash. */
export function refuseTampered(manifest: ArchiveManifest, raw: Map<string, HashSum>): void {
  const bad = Object.entries(manifest.entries)
    .filter(([name, m]) => {
      const sum = raw.get(name) ?? EMPTY_SUM;
      return sum.rows !== m.rows || formatHash(sum) !== m.hash;
    })
    .map(([name]) => name);
  if (bad.length > 0) throw new MobilityError(`The archive's ${bad.join(', ')} rows do not match its manifest (count or content hash): the archive was changed or is corrupt, and nothing was imported.`);
}

/** Checks the deferred foreign keys now (SET CONSTRAINTS ALL IMMEDIATE), so a broken reference is a refusal, not a failed commit. */
export async function checkForeignKeys(clients: pg.Client[]): Promise<void> {
  for (const c of clients) {
    try {
      await c.query('set constraints all immediate');
    } catch (err) {
      const e = err as { code?: string; constraint?: string; table?: string };
      if (e.code === '23503') throw new MobilityError(`The archive's ${e.table ?? ''} rows name rows it does not hold (foreign key ${e.constraint ?? '?'}): it is corrupt, and nothing was imported.`);
      throw err;
    }
  }
}

/** What the target must hold after the import: the manifest's digest, with the user entry and the rows whose user ids were remapped as they were written. */
export function expectedDigest(id: string, manifest: ArchiveManifest, expected: Map<string, HashSum>, byName: Map<string, OrganizationEntry>): OrganizationDigest {
  const entries: OrganizationDigest['entries'] = {};
  for (const name of byName.keys()) {
    if (name === 'organization') entries[name] = { rows: manifest.entries[name]!.rows, hash: manifest.entries[name]!.hash };
    else entries[name] = { rows: expected.get(name)!.rows, hash: formatHash(expected.get(name)!) };
  }
  return { organizationId: id, entries };
}
