import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type pg from 'pg';
import { fencedError } from '../placement/placement-errors.js';
import { appliedMigrations } from '../placement/placement-census.js';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, toolVersion, type ArchiveManifest } from './archive-format.js';
import { recordMobilityEvent } from './audit.js';
import { MobilityError } from './mobility-errors.js';
import { organizationEntries, type OrganizationEntry } from './organization-entries.js';
import { withOwner } from './owner-connection.js';
import { filesSummary, objectLines } from './file-objects.js';
import type { StorageProvider } from '../../storage/storage-provider.js';
import { DEFAULT_CHUNK_ROWS, digestEntry } from './verify.js';

/** The organization where the directory says it lives: its placement's owner URL and the directory's epoch. */
export interface ExportSource {
  organizationId: string;
  /** The placement's name, for messages. */
  placement: string;
  url: string;
  epoch: number;
}

export interface ExportOptions {
  /** Carry the members' password hashes (argon2id), so they can sign in after an import into another deployment. Off by default: see README, "Moving a tenant". */
  includePasswordHashes?: boolean;
  /** Rows per statement. */
  chunkRows?: number;
  /**
   * With includePasswordHashes, the shared database's owner URL when the organization is on a
   * dedicated placement: its accounts (and their hashes) live there; the placement's copies have none.
   */
  sharedUrl?: string;
  /** The deployment's storage: the completed files' bytes are read from it into the archive (required when there are any). */
  storage?: StorageProvider;
}

/**
 * Writes the organization's archive (archive-format.ts) to `outPath`, from one REPEATABLE READ
 * transaction on its placement, as the database's owner:
 * 1. `enter_tenant(id, null, epoch)`: the placement's fence (placement migration) refuses an
 *    organization it does not serve as active at the directory's epoch (moved, moving, archived);
 * 2. the `organization.export` audit event, so the archive carries its own export;
 * 3. per entry the count and content hash (verify.ts), for the manifest;
 * 4. the rows, streamed in key order in chunks, then the completed files' bytes from
 *    `options.storage` (each checked against its row's size and SHA-256: file-objects.ts),
 *    gzip-compressed into `<outPath>.partial` (mode 0600: personal data), renamed to `outPath`
 *    once complete.
 * All of it reads one snapshot, so the manifest and the rows agree while the organization keeps
 * being served. The transaction commits (the event with it) only after the file is complete; on
 * any failure nothing is written, in the database or at `outPath`. Throws MobilityError when the
 * placement does not serve the organization.
 */
export async function exportOrganization(source: ExportSource, outPath: string, options: ExportOptions = {}): Promise<ArchiveManifest> {
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  const includeHashes = options.includePasswordHashes === true;
  const partial = `${outPath}.partial`;
  return withOwner(source.url, async (client) => {
    await client.query('begin transaction isolation level repeatable read');
    try {
      await client.query(`select enter_tenant($1::uuid, null, $2::integer)`, [source.organizationId, source.epoch]);
    } catch (err) {
      const fenced = fencedError(err, source.organizationId);
      if (fenced) {
        throw new MobilityError(
          `Placement ${source.placement} refuses organization ${source.organizationId} (its record there: ${fenced.state}, epoch ${fenced.epoch}; the directory's epoch: ${source.epoch}): it is being moved, or the placement's database is not the one the directory means.`,
        );
      }
      throw err;
    }
    // row_to_json writes timestamps in the session's time zone: UTC makes archives alike everywhere.
    await client.query(`set local timezone to 'UTC'`);
    await recordMobilityEvent(client, source.organizationId, 'organization.export');
    const entries = await organizationEntries(client);
    const organization = (await client.query<{ row: ArchiveManifest['organization'] }>('select row_to_json(t) as "row" from "organization" t where t."id" = $1', [source.organizationId])).rows[0]?.row;
    if (!organization) throw new MobilityError(`Placement ${source.placement} has no row of organization ${source.organizationId}.`);
    const manifest: ArchiveManifest = {
      kind: 'manifest',
      format: ARCHIVE_FORMAT,
      formatVersion: ARCHIVE_FORMAT_VERSION,
      schemaVersion: (await appliedMigrations(client)).at(-1)?.replace(/\.(ts|js)$/, '') ?? '',
      tool: toolVersion(),
      createdAt: new Date().toISOString(),
      organization,
      includesPasswordHashes: includeHashes,
      entries: {},
      files: await filesSummary(client, source.organizationId),
    };
    if (manifest.files!.count > 0 && !options.storage) throw new MobilityError(`Organization ${source.organizationId} has ${manifest.files!.count} file(s): exporting them needs the deployment's storage.`);
    for (const entry of entries) {
      const digest = await digestEntry(client, entry, source.organizationId, chunkRows);
      manifest.entries[entry.name] = { ...digest, columns: carried(entry, includeHashes) };
    }
    const hashes = includeHashes && options.sharedUrl && options.sharedUrl !== source.url ? await accountHashes(client, options.sharedUrl, source.organizationId) : undefined;
    try {
      const lines = archiveLines(client, manifest, entries, source.organizationId, chunkRows, hashes, options.storage);
      await pipeline(Readable.from(lines), createGzip(), createWriteStream(partial, { mode: 0o600 }));
      await client.query('commit');
      await rename(partial, outPath);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    return manifest;
  });
}

/** The columns an entry's archived rows carry: all of them, but a user's password hash only when asked for. */
function carried(entry: OrganizationEntry, includeHashes: boolean): string[] {
  return entry.all.map((c) => c.name).filter((name) => entry.name !== 'user' || includeHashes || name !== 'password_hash');
}

/** The archive's lines: manifest, every row of every entry but the organization's own (in the manifest), the files' bytes, end. */
async function* archiveLines(
  client: pg.Client,
  manifest: ArchiveManifest,
  entries: OrganizationEntry[],
  organizationId: string,
  chunkRows: number,
  hashes?: Map<string, string | null>,
  storage?: StorageProvider,
): AsyncGenerator<string> {
  yield `${JSON.stringify(manifest)}\n`;
  let total = 0;
  for (const entry of entries.filter((e) => e.name !== 'organization')) {
    const table = JSON.stringify(entry.name);
    const columns = manifest.entries[entry.name]!.columns;
    // Only the carried columns (a user's password hash left out unless asked for).
    const json = `json_build_object(${columns.map((c) => `'${c}', t."${c}"`).join(', ')})::text`;
    let after: string | null = null;
    let written = 0;
    for (;;) {
      const range: string = after === null ? '' : ` and t."${entry.key}" > $3::uuid`;
      const sql: string = `select t."${entry.key}"::text as "k", ${json} as "j" from ${entry.source} where true${range} order by t."${entry.key}" limit $2`;
      const { rows }: { rows: { k: string; j: string }[] } = await client.query<{ k: string; j: string }>(sql, after === null ? [organizationId, chunkRows] : [organizationId, chunkRows, after]);
      const withHash = (r: { k: string; j: string }) => (hashes && entry.name === 'user' ? JSON.stringify({ ...JSON.parse(r.j), password_hash: hashes.get(r.k) ?? null }) : r.j);
      yield rows.map((r) => `{"kind":"row","table":${table},"row":${withHash(r)}}\n`).join('');
      written += rows.length;
      if (rows.length < chunkRows) break;
      after = rows.at(-1)!.k;
    }
    // One snapshot: the rows written are the rows hashed. A difference is a bug, never a race.
    if (written !== manifest.entries[entry.name]!.rows) throw new Error(`export of ${entry.name}: ${written} rows written, ${manifest.entries[entry.name]!.rows} hashed`);
    total += written;
  }
  let objects = 0;
  if (storage) {
    for await (const line of objectLines(client, organizationId, storage)) {
      if (line.startsWith('{"kind":"object"')) objects++;
      yield line;
    }
  }
  if (objects !== manifest.files!.count) throw new Error(`export of files: ${objects} objects written, ${manifest.files!.count} counted`);
  yield `${JSON.stringify({ kind: 'end', rows: total, objects })}\n`;
}

/**
 * The members' password hashes from the shared database's accounts (user id -> hash), for an
 * organization on a dedicated placement: its members as this snapshot of the placement has them.
 */
async function accountHashes(placement: pg.Client, sharedUrl: string, organizationId: string): Promise<Map<string, string | null>> {
  const ids = (await placement.query<{ id: string }>('select "user_id" as "id" from "membership" where "organization_id" = $1', [organizationId])).rows.map((r) => r.id);
  const rows = await withOwner(sharedUrl, async (shared) => (await shared.query<{ id: string; hash: string | null }>('select "id", "password_hash" as "hash" from "user" where "id" = any($1::uuid[])', [ids])).rows);
  return new Map(rows.map((r) => [r.id, r.hash]));
}
