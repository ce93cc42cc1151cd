import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { isObjectKey, objectKey } from '../../storage/object-key.js';
import type { StorageProvider } from '../../storage/storage-provider.js';
import { ArchiveFormatError, type ArchiveLine, type ObjectLine } from './archive-format.js';
import { MobilityError } from './mobility-errors.js';

// The bytes of an organization's files for export, import, verify and erase. Storage belongs to
// the deployment, not to a placement, and a key is `<organization id>/<file id>`: a move between
// placements of one deployment leaves the objects where they are; an archive carries them to
// another deployment. Every statement here is filtered by `organization_id = $1` and run by
// callers with app.organization_id set to it (export and verify snapshots, erase's transactions).

/** A file row as the mobility code needs it. */
export interface FileObject {
  id: string;
  key: string;
  byteSize: number;
  sha256: string;
  contentType: string;
}

/** Rows per statement when listing an organization's files. */
const CHUNK = 1_000;

/**
 * The organization's files on `client`'s database, by id, in chunks: completed ones only
 * (`ready`, what an archive carries and verify checks) or every one (erase: pending uploads may
 * have bytes too).
 */
export async function* organizationFiles(client: pg.Client, organizationId: string, which: 'ready' | 'all'): AsyncGenerator<FileObject> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const { rows } = await client.query<{ id: string; object_key: string; byte_size: string; sha256: string; content_type: string }>(
      `select f."id", f."object_key", f."byte_size"::text as "byte_size", f."sha256", f."content_type" from "file" f
        where f."organization_id" = $1 and f."id" > $2 and ($3 = 'all' or f."status" = 'ready') order by f."id" limit ${CHUNK}`,
      [organizationId, after, which],
    );
    for (const r of rows) yield { id: r.id, key: r.object_key, byteSize: Number(r.byte_size), sha256: r.sha256, contentType: r.content_type };
    if (rows.length < CHUNK) return;
    after = rows.at(-1)!.id;
  }
}

/** How many completed files the organization has and their bytes in all, for an archive's manifest. */
export async function filesSummary(client: pg.Client, organizationId: string): Promise<{ count: number; bytes: number }> {
  const { rows } = await client.query<{ count: number; bytes: string }>(
    `select count(*)::int as "count", coalesce(sum(f."byte_size"), 0)::text as "bytes" from "file" f where f."organization_id" = $1 and f."status" = 'ready'`,
    [organizationId],
  );
  return { count: rows[0]!.count, bytes: Number(rows[0]!.bytes) };
}

/**
 * The archive lines of the organization's completed files' bytes (archive-format.ts), read from
 * `storage` and checked as they stream against each file row's size and SHA-256. Throws
 * MobilityError for a missing object or other bytes: an archive never carries bytes its rows
 * do not describe.
 */
export async function* objectLines(client: pg.Client, organizationId: string, storage: StorageProvider): AsyncGenerator<string> {
  for await (const file of organizationFiles(client, organizationId, 'ready')) {
    const body = await storage.read(file.key);
    if (!body) throw new MobilityError(`The bytes of file ${file.id} (${file.key}) are missing from the store (${storage.name}): nothing was exported.`);
    yield `${JSON.stringify({ kind: 'object', file: file.id, key: file.key, byteSize: file.byteSize, sha256: file.sha256 } satisfies ObjectLine)}\n`;
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      yield `{"kind":"bytes","data":"${chunk.toString('base64')}"}\n`;
    }
    if (size !== file.byteSize || hash.digest('hex') !== file.sha256) {
      throw new MobilityError(`The stored bytes of file ${file.id} (${file.key}) are not the ones its row describes (size or SHA-256): nothing was exported.`);
    }
  }
}

/**
 * Writes an import's objects into the target deployment's storage, each only if a completed file
 * row of the archive describes it (same key, size and SHA-256), checking the bytes as they
 * stream. `written` lists what it stored, for the caller to delete if the import fails after.
 */
export class ObjectImport {
  readonly written: string[] = [];
  private readonly expected = new Map<string, FileObject>();

  constructor(
    private readonly organizationId: string,
    private readonly storage: StorageProvider | undefined,
  ) {}

  /** Notes a `file` row of the archive; completed ones must get their bytes. */
  noteFileRow(row: Record<string, unknown>): void {
    if (row.status !== 'ready') return;
    const id = String(row.id);
    const key = objectKey(this.organizationId, id);
    if (row.object_key !== key) throw new MobilityError(`The archive's file ${id} has the key ${String(row.object_key)}, not ${key}: it is forged or corrupt, and nothing was imported.`);
    this.expected.set(id, { id, key, byteSize: Number(row.byte_size), sha256: String(row.sha256), contentType: String(row.content_type) });
  }

  /**
   * Stores the object announced by `line`, pulling its `bytes` lines from `lines`. Throws
   * MobilityError when no completed file row describes it, or the bytes differ from the row
   * (the object is then deleted again), ArchiveFormatError when the lines end or break off.
   */
  async write(line: ObjectLine, lines: AsyncIterator<ArchiveLine>): Promise<void> {
    const file = this.expected.get(line.file);
    if (!file || line.key !== file.key || !isObjectKey(line.key)) throw new MobilityError(`The archive carries bytes for ${line.key}, which no completed file of it has: it is forged or corrupt, and nothing was imported.`);
    if (!this.storage) throw new MobilityError('The archive carries file bytes and no storage was given to write them to.');
    this.expected.delete(line.file);
    const hash = createHash('sha256');
    async function* chunks(): AsyncGenerator<Buffer> {
      let size = 0;
      while (size < file!.byteSize) {
        const next = await lines.next();
        if (next.done || next.value.kind !== 'bytes') throw new ArchiveFormatError(`The bytes of file ${file!.id} break off in the archive: it is truncated or corrupt.`);
        const chunk = Buffer.from(next.value.data, 'base64');
        size += chunk.length;
        hash.update(chunk);
        yield chunk;
      }
    }
    this.written.push(file.key);
    await this.storage.write(file.key, Readable.from(chunks()), { byteSize: file.byteSize, contentType: file.contentType });
    if (hash.digest('hex') !== file.sha256) throw new MobilityError(`The archive's bytes of file ${file.id} do not have its SHA-256: the archive is tampered or corrupt, and nothing was imported.`);
  }

  /** Throws MobilityError when a completed file of the archive got no bytes (an archive of format version 1, or cut). */
  finish(): void {
    const missing = [...this.expected.keys()];
    if (missing.length > 0) throw new MobilityError(`The archive has ${missing.length} completed file(s) without their bytes (e.g. ${missing[0]}): export it again with this version; nothing was imported.`);
  }

  /** Deletes what was stored: the import failed. */
  async undo(): Promise<void> {
    for (const key of this.written) await this.storage?.delete(key).catch(() => undefined);
  }
}

/** What verify found of the organization's completed files in the store. */
export interface ObjectCheck {
  files: number;
  /** File ids whose object is missing. */
  missing: string[];
  /** File ids whose object has another size or SHA-256 than its row. */
  mismatched: string[];
}

/** Checks that every completed file of the organization has its bytes in `storage`, with its row's size and SHA-256. */
export async function checkObjects(client: pg.Client, organizationId: string, storage: StorageProvider): Promise<ObjectCheck> {
  const check: ObjectCheck = { files: 0, missing: [], mismatched: [] };
  for await (const file of organizationFiles(client, organizationId, 'ready')) {
    check.files++;
    const stored = await storage.stat(file.key);
    if (!stored) check.missing.push(file.id);
    else if (stored.byteSize !== file.byteSize || stored.sha256 !== file.sha256) check.mismatched.push(file.id);
  }
  return check;
}

/**
 * Every object key of the organization on `client`'s database: its file rows (pending uploads
 * included) and the keys queued for deletion (file_lifecycle migration), for erasure.
 */
export async function organizationObjectKeys(client: pg.Client, organizationId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const file of organizationFiles(client, organizationId, 'all')) keys.push(file.key);
  const queued = await client.query<{ object_key: string }>('select "object_key" from "file_deletion" where "owner_organization_id" = $1', [organizationId]);
  return [...new Set([...keys, ...queued.rows.map((r) => r.object_key)])];
}
