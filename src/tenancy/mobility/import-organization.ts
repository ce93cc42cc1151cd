import type pg from 'pg';
import type { DeploymentMode } from '../../config/index.js';
import { knownMigrations } from '../../db/placement-database.js';
import { SHARED_PLACEMENT } from '../placement/placement-name.js';
import { openArchive, type ArchiveReader } from './archive-format.js';
import { recordMobilityEvent } from './audit.js';
import { addSums, EMPTY_SUM, hashJsonRows, insertJsonRows, type HashSum } from './content-hash.js';
import { importUsers, remapUsers, type ArchivedUser, type ImportedUsers } from './import-users.js';
import { MobilityError } from './mobility-errors.js';
import { organizationEntries, type OrganizationEntry } from './organization-entries.js';
import { setOrganization, withOwner } from './owner-connection.js';
import { checkArchiveShape, checkForeignKeys, expectedDigest, refuseExisting, refuseTampered } from './import-checks.js';
import { ObjectImport } from './file-objects.js';
import type { StorageProvider } from '../../storage/storage-provider.js';
import { compareOrganization, digestOrganization, type OrganizationComparison } from './verify.js';

/** Where an archive goes: a placement of the target deployment, and that deployment's shared database. */
export interface ImportTarget {
  placement: string;
  /** The placement's owner URL (the shared database's when `placement` is `shared`). */
  url: string;
  /** The shared database's owner URL: directory, accounts, membership index. */
  sharedUrl: string;
  mode: DeploymentMode;
  /** Single-tenant: DEFAULT_ORGANIZATION_ID, which must be the archive's organization. */
  defaultOrganizationId?: string;
  /** The target deployment's storage: the archive's file bytes are written to it (required when it carries any). */
  storage?: StorageProvider;
}

/** What an import did. */
export interface ImportResult {
  organization: { id: string; slug: string; name: string };
  placement: string;
  users: Omit<ImportedUsers, 'ids' | 'rows'>;
  /** The target's digest after the import against the archive's (with matched users' ids and rows as the target has them): all equal, or the import was refused. */
  verification: OrganizationComparison;
}

/** Rows inserted (and hashed) per statement. */
const BATCH_ROWS = 5_000;

/**
 * Imports an organization archive (archive-format.ts) into a deployment, in one transaction per
 * database: the shared database gets the directory row, the accounts (importUsers) and, for a
 * dedicated placement, the membership index; the placement gets the organization's own row, the
 * user copies and every tenant table's rows. Rows are streamed in batches of 5,000, each batch
 * hashed in PostgreSQL as it is written (content-hash.ts). Refuses (MobilityError, nothing written):
 * an archive of an unknown schema version or with other columns; an organization id or slug the
 * target has; in single-tenant mode, a database that already holds an organization or an
 * archive whose id is not DEFAULT_ORGANIZATION_ID; recomputed hashes that differ from the
 * manifest (tampered or corrupt, naming the entries); rows breaking a foreign key. After the
 * rows, the target is digested (verify.ts) in the same transaction and compared with what was
 * imported; then the `organization.import` audit event is written, the placement commits, then
 * the shared database (as createOrganizationOnPlacement orders them). The archive's file bytes
 * are written to `target.storage` as they are read, each checked against its file row (size,
 * SHA-256: file-objects.ts); a mismatch, or a completed file without bytes, refuses the import,
 * and whatever was stored by a refused or failed import is deleted again.
 */
export async function importOrganization(path: string, target: ImportTarget): Promise<ImportResult> {
  const archive = await openArchive(path);
  try {
    const { manifest } = archive;
    if (!knownMigrations().includes(manifest.schemaVersion)) {
      throw new MobilityError(`The archive's schema version ${manifest.schemaVersion || '(none)'} is not one this program knows: import it with the version that exported it (${manifest.tool.name} ${manifest.tool.version}) or newer.`);
    }
    if (target.mode === 'single_tenant' && manifest.organization.id !== target.defaultOrganizationId) {
      throw new MobilityError(`A single-tenant deployment serves DEFAULT_ORGANIZATION_ID only: set DEFAULT_ORGANIZATION_ID=${manifest.organization.id} (the archive's organization) for the import and for the server.`);
    }
    const objects = new ObjectImport(manifest.organization.id, target.storage);
    try {
      return await withOwner(target.sharedUrl, (shared) =>
        target.placement === SHARED_PLACEMENT ? inTransactions(shared, null, archive, target, objects) : withOwner(target.url, (placement) => inTransactions(shared, placement, archive, target, objects)),
      );
    } catch (err) {
      await objects.undo();
      throw err;
    }
  } finally {
    archive.close();
  }
}

async function inTransactions(shared: pg.Client, dedicated: pg.Client | null, archive: ArchiveReader, target: ImportTarget, objects: ObjectImport): Promise<ImportResult> {
  const clients = dedicated ? [shared, dedicated] : [shared];
  for (const c of clients) await c.query('begin');
  try {
    const result = await importInto(shared, dedicated, archive, target, objects);
    // The placement first: a shared database that then fails leaves rows no directory entry routes to, never the reverse.
    for (const c of [...clients].reverse()) await c.query('commit');
    return result;
  } catch (err) {
    for (const c of clients) await c.query('rollback').catch(() => undefined);
    throw err;
  }
}

async function importInto(shared: pg.Client, dedicated: pg.Client | null, archive: ArchiveReader, target: ImportTarget, objects: ObjectImport): Promise<ImportResult> {
  const { manifest } = archive;
  const placement = dedicated ?? shared;
  const id = manifest.organization.id;
  const entries = await organizationEntries(placement);
  checkArchiveShape(manifest, entries);
  await refuseExisting(shared, dedicated, manifest, target);

  const organizationRow = `insert into "organization" ("id", "name", "slug", "created_at", "tier", "placement", "state", "placement_epoch")
    select "id", "name", "slug", "created_at", "tier", $2, 'active', 1 from json_populate_record(null::"organization", $1::json)`;
  for (const c of dedicated ? [shared, dedicated] : [shared]) {
    await c.query(organizationRow, [JSON.stringify(manifest.organization), target.placement]);
    await setOrganization(c, id);
  }

  const byName = new Map(entries.map((e) => [e.name, e]));
  const raw = new Map<string, HashSum>([...byName.keys()].map((n) => [n, EMPTY_SUM]));
  const expected = new Map(raw);
  raw.set('organization', await hashJsonRows(placement, byName.get('organization')!, [manifest.organization]));
  const archivedUsers: ArchivedUser[] = [];
  let users: ImportedUsers | undefined;
  let batch: { entry: OrganizationEntry; rows: Record<string, unknown>[] } | undefined;
  let rowsRead = 0;
  let objectsRead = 0;

  const flush = async () => {
    if (!batch || batch.rows.length === 0) return;
    const { entry, rows } = batch;
    batch = undefined;
    // Row-level security's WITH CHECK would refuse these for an owner it binds, but not for a
    // superuser or BYPASSRLS owner: the archive's rows must all be its organization's.
    if (rows.some((r) => r.organization_id !== id)) throw new MobilityError(`The archive's ${entry.name} rows include rows of another organization than ${id}: it is forged or corrupt, and nothing was imported.`);
    const remapped = rows.map((r) => remapUsers(r, entry.userColumns, users!.ids));
    const written = remapped.some((r) => r.changed) ? remapped.map((r) => r.row) : rows;
    // Written and hashed in one statement; the archive's own rows hashed apart only when user ids were remapped.
    const inserted = await insertJsonRows(placement, entry, written);
    const sum = written === rows ? inserted : await hashJsonRows(placement, entry, rows);
    raw.set(entry.name, addSums(raw.get(entry.name)!, sum));
    expected.set(entry.name, addSums(expected.get(entry.name)!, inserted));
    // The shared database's index of a dedicated organization's memberships (membership-index.ts).
    if (dedicated && entry.name === 'membership') await insertJsonRows(shared, entry, written);
  };

  for await (const line of archive.lines) {
    if (line.kind === 'end') {
      if (line.rows !== rowsRead) throw new MobilityError(`The archive says it holds ${line.rows} rows but ${rowsRead} were read: it is corrupt.`);
      if ((line.objects ?? 0) !== objectsRead) throw new MobilityError(`The archive says it holds ${line.objects ?? 0} files' bytes but ${objectsRead} were read: it is corrupt.`);
      break;
    }
    if (line.kind === 'object') {
      await objects.write(line, archive.lines);
      objectsRead++;
      continue;
    }
    if (line.kind === 'bytes') throw new MobilityError("The archive has file bytes outside any file's object: it is corrupt.");
    rowsRead++;
    const entry = byName.get(line.table);
    if (!entry || entry.name === 'organization') throw new MobilityError(`The archive has rows of "${line.table}", which is not part of an organization here: it is corrupt or of another schema.`);
    if (entry.name === 'user') {
      if (users) throw new MobilityError('The archive has user rows after tenant rows: it was not written by export.');
      archivedUsers.push(line.row as unknown as ArchivedUser);
      continue;
    }
    users ??= await resolveUsers();
    if (entry.name === 'file') objects.noteFileRow(line.row);
    if (batch && batch.entry !== entry) await flush();
    batch ??= { entry, rows: [] };
    batch.rows.push(line.row);
    if (batch.rows.length >= BATCH_ROWS) await flush();
  }
  users ??= await resolveUsers();
  await flush();
  objects.finish();

  refuseTampered(manifest, raw);
  await checkForeignKeys(clients());
  const after = await digestOrganization(placement, id);
  const verification = compareOrganization(expectedDigest(id, manifest, expected, byName), after);
  if (!verification.equal) {
    throw new MobilityError(`After the import the target differs from the archive in ${verification.entries.filter((e) => !e.match).map((e) => e.name).join(', ')}: nothing was imported.`);
  }
  await recordMobilityEvent(placement, id, 'organization.import');
  const { ids: _ids, rows: _rows, ...counts } = users;
  return { organization: { id, slug: manifest.organization.slug, name: manifest.organization.name }, placement: target.placement, users: counts, verification };

  async function resolveUsers(): Promise<ImportedUsers> {
    const entry = byName.get('user')!;
    raw.set('user', await hashJsonRows(placement, entry, archivedUsers));
    const imported = await importUsers(shared, dedicated, archivedUsers);
    expected.set('user', await hashJsonRows(placement, entry, imported.rows));
    return imported;
  }
  function clients() {
    return dedicated ? [dedicated, shared] : [shared];
  }
}
