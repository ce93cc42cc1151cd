import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { EntryDigest } from './verify.js';

// The organization archive: gzip (RFC 1952, Node's zlib) of NDJSON, one JSON document per line,
// so it is written and read as a stream (100,000 rows never sit in memory) and can be read with
// `zcat file | head`:
//   line 1      {"kind":"manifest", ...}                       (ArchiveManifest)
//   then        {"kind":"row","table":"<entry>","row":{...}}   (row_to_json of the stored row)
//   then, per completed file (version 2), its bytes:
//               {"kind":"object","file":"<file id>","key":"<org>/<file id>","byteSize":n,"sha256":"<hex>"}
//               {"kind":"bytes","data":"<base64>"}             (as many as it takes, in order; none for 0 bytes)
//   last line   {"kind":"end","rows":<rows written>,"objects":<objects written>}  (a truncated file lacks it)
// Rows come entry by entry: `user` first, then the tenant tables; the organization's own row is
// in the manifest. The bytes ride in the same stream so that one reader and one writer handle
// the whole archive; each object is checked against its file row's size and SHA-256 when it is
// written (export) and when it is read back (import).

/** Identifies the format; `formatVersion` changes when a reader of the old format could misread the new one. */
export const ARCHIVE_FORMAT = 'tenantql-organization-archive';
export const ARCHIVE_FORMAT_VERSION = 2;
/** Versions this code reads: 1 carried no file bytes (an archive of it with completed files is refused on import). */
const READABLE_VERSIONS: readonly number[] = [1, 2];

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
  /** Version 2: the completed files whose bytes follow the rows, and their bytes in all. */
  files?: { count: number; bytes: number };
}

/** A completed file's bytes follow this line, in `bytes` lines, `byteSize` of them in all. */
export interface ObjectLine {
  kind: 'object';
  file: string;
  key: string;
  byteSize: number;
  sha256: string;
}

/** One archive line after the manifest. */
export type ArchiveLine =
  | { kind: 'row'; table: string; row: Record<string, unknown> }
  | ObjectLine
  | { kind: 'bytes'; data: string }
  | { kind: 'end'; rows: number; objects?: number };

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
  if (!READABLE_VERSIONS.includes(manifest.formatVersion as number)) {
    throw new ArchiveFormatError(`${path} is archive format version ${String(manifest.formatVersion)}; this program reads versions ${READABLE_VERSIONS.join(' and ')}.`);
  }
  async function* lines(): AsyncGenerator<ArchiveLine> {
    for (;;) {
      const text = await next();
      if (text === undefined) throw new ArchiveFormatError(`${path} ends before its last line: the archive is truncated.`);
      const line = parse(text, 'line') as ArchiveLine;
      if (line.kind === 'end') return yield line;
      if (!wellFormed(line)) throw new ArchiveFormatError(`${path} has a line that is neither a row, a file's bytes nor the end.`);
      yield line;
    }
  }
  return { manifest: manifest as ArchiveManifest, lines: lines(), close: () => file.destroy() };

  function wellFormed(line: ArchiveLine): boolean {
    switch (line.kind) {
      case 'row':
        return typeof line.table === 'string' && typeof line.row === 'object' && line.row !== null;
      case 'object':
        return typeof line.file === 'string' && typeof line.key === 'string' && Number.isSafeInteger(line.byteSize) && line.byteSize >= 0 && typeof line.sha256 === 'string';
      case 'bytes':
        return typeof line.data === 'string';
      default:
        return false;
    }
  }

  function parse(text: string, what: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw new ArchiveFormatError(`${path} has a ${what} that is not JSON: the archive is corrupt.`);
    }
  }
}
