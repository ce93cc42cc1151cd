import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { EntryDigest } from './verify.js';

// The organization archive: gzip (RFC 1952, Node's zlib) of NDJSON, one JSON document per line,
// so it is written and read as a stream (100,000 rows never sit in memory) and can be read with
// `zcat file | head`:
//   line 1      {"kind":"manifest", ...}                       (ArchiveManifest)
//   then        {"kind":"row","table":"<entry>","row":{...}}   (row_to_json of the stored row)
//   last line   {"kind":"end","rows":<rows written>}           (a truncated file lacks it)
// Rows come entry by entry: `user` first, then the tenant tables; the organization's own row is
// in the manifest.

/** Identifies the format; `formatVersion` changes when a reader of the old format could misread the new one. */
export const ARCHIVE_FORMAT = 'tenantql-organization-archive';
export const ARCHIVE_FORMAT_VERSION = 1;

/** The archive's first line. */
export interface ArchiveManifest {
  kind: 'manifest';
  format: typeof ARCHIVE_FORMAT;
  formatVersion: number;
  /** The last migration applied to the exporting database: the schema its rows are shaped by. */
  schemaVersion: string;
  /** The program that wrote it: package name and version. */
  tool: { name: string; version: string };
  /** ISO 8601, UTC. */
  createdAt: string;
  /** The organization's row as row_to_json wrote it (placement, state and epoch of the source included, for the record). */
  organization: Record<string, unknown> & { id: string; slug: string; name: string };
  /** Whether the `user` rows carry `password_hash` (export --include-password-hashes). */
  includesPasswordHashes: boolean;
  /** Per entry: rows, content hash (verify.ts) and the columns its rows carry, sorted. */
  entries: Record<string, EntryDigest & { columns: string[] }>;
}

/** One archive line after the manifest. */
export type ArchiveLine = { kind: 'row'; table: string; row: Record<string, unknown> } | { kind: 'end'; rows: number };

/** The archive cannot be read as one: not gzip, not this format, truncated or corrupt. `message` says which, for the operator. */
export class ArchiveFormatError extends Error {
  override name = 'ArchiveFormatError';
}

/** This program's name and version (package.json), as manifests record them. */
export function toolVersion(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

/** An archive being read: its manifest, then its lines in order (ends after the `end` line). */
export interface ArchiveReader {
  manifest: ArchiveManifest;
  lines: AsyncGenerator<ArchiveLine>;
  close(): void;
}

/**
 * Opens an archive: decompresses as it reads and parses the manifest. Throws ArchiveFormatError
 * when the file is not gzip, the first line is not this format's manifest, or the format version
 * is not this code's. `lines` throws ArchiveFormatError for a malformed line and for a file that
 * ends without its `end` line (truncated).
 */
export async function openArchive(path: string): Promise<ArchiveReader> {
  const file = createReadStream(path);
  const gunzip = createGunzip();
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= new ArchiveFormatError(`${path} is not a readable organization archive (${(err as { code?: string }).code ?? err.message}): is it the file export wrote, complete?`);
    gunzip.destroy(failure);
  };
  file.on('error', (err) => {
    failure ??= err; // not found, not readable: the operator's path, said as it is
    gunzip.destroy(err);
  });
  gunzip.on('error', fail);
  const reader = createInterface({ input: file.pipe(gunzip), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const next = async (): Promise<string | undefined> => {
    try {
      const { value, done } = await reader.next();
      return done ? undefined : value;
    } catch (err) {
      throw failure ?? err;
    }
  };
  const first = await next();
  const manifest = parse(first ?? '', 'manifest') as Partial<ArchiveManifest>;
  if (manifest.kind !== 'manifest' || manifest.format !== ARCHIVE_FORMAT) throw new ArchiveFormatError(`${path} is not an organization archive: its first line is not a ${ARCHIVE_FORMAT} manifest.`);
  if (manifest.formatVersion !== ARCHIVE_FORMAT_VERSION) {
    throw new ArchiveFormatError(`${path} is archive format version ${String(manifest.formatVersion)}; this program reads version ${ARCHIVE_FORMAT_VERSION}.`);
  }
  async function* lines(): AsyncGenerator<ArchiveLine> {
    for (;;) {
      const text = await next();
      if (text === undefined) throw new ArchiveFormatError(`${path} ends before its last line: the archive is truncated.`);
      const line = parse(text, 'line') as ArchiveLine;
      if (line.kind === 'end') return yield line;
      if (line.kind !== 'row' || typeof line.table !== 'string' || typeof line.row !== 'object' || line.row === null) throw new ArchiveFormatError(`${path} has a line that is neither a row nor the end.`);
      yield line;
    }
  }
  return { manifest: manifest as ArchiveManifest, lines: lines(), close: () => file.destroy() };

  function parse(text: string, what: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw new ArchiveFormatError(`${path} has a ${what} that is not JSON: the archive is corrupt.`);
    }
  }
}
