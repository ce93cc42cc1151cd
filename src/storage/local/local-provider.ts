import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { DownloadGrant, SignedUpload, StorageProvider, StoredObject, UploadGrant } from '../storage-provider.js';
import { isObjectKey } from '../object-key.js';
import { writeObject } from './object-write.js';
import { signToken } from './signed-token.js';

/**
 * Where the object under `key` lives in `dir`. Refuses anything but an object key (two UUIDs),
 * so no key, signed or not, can name a path outside `dir`.
 */
export function objectPath(dir: string, key: string): string {
  if (!isObjectKey(key)) throw new Error('not an object key');
  return join(resolve(dir), ...key.split('/'));
}

/**
 * The tombstone `delete` leaves for `key` in `dir`: while it exists the PUT route refuses the key,
 * so an upload URL issued before the delete (valid until it expires) cannot put the bytes back.
 * `write` (an import, deliberate) removes it.
 */
export function tombstonePath(dir: string, key: string): string {
  if (!isObjectKey(key)) throw new Error('not an object key');
  return join(resolve(dir), '.deleted', ...key.split('/'));
}

/** Whether `key` was deleted here (tombstonePath). */
export async function isTombstoned(dir: string, key: string): Promise<boolean> {
  return (await stat(tombstonePath(dir, key)).catch(() => null)) !== null;
}

/**
 * Files on this machine's disk under `dir` (STORAGE_LOCAL_DIR), with signed URLs served by the API
 * itself (local-routes.ts): `PUT|GET <origin>/files/<token>`, the token signed with `secret`.
 * For one instance or instances sharing a directory; `stat` reads the whole object to hash it.
 * `write` refuses (throws, storing nothing) a body of another length than `meta.byteSize`.
 */
export function localProvider(dir: string, secret: Uint8Array): StorageProvider {
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
  return {
    name: 'local',
    async signUpload(grant: UploadGrant, origin: string): Promise<SignedUpload> {
      const token = signToken(secret, { m: 'PUT', k: grant.key, e: seconds(grant.expiresAt), s: grant.byteSize, h: grant.sha256, t: grant.contentType });
      return { url: `${origin}/files/${token}`, headers: { 'content-type': grant.contentType }, expiresAt: new Date(seconds(grant.expiresAt) * 1000) };
    },
    async signDownload(grant: DownloadGrant, origin: string): Promise<string> {
      return `${origin}/files/${signToken(secret, { m: 'GET', k: grant.key, e: seconds(grant.expiresAt), t: grant.contentType, n: grant.filename })}`;
    },
    async stat(key: string): Promise<StoredObject | null> {
      const path = objectPath(dir, key);
      const found = await stat(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      if (!found) return null;
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      return { byteSize: found.size, sha256: hash.digest('hex') };
    },
    async delete(key: string): Promise<void> {
      // The tombstone first: a PUT finishing meanwhile checks it just before it renames into place.
      const tombstone = tombstonePath(dir, key);
      await mkdir(dirname(tombstone), { recursive: true });
      await writeFile(tombstone, '', { mode: 0o600 });
      await rm(objectPath(dir, key), { force: true });
    },
    async read(key: string): Promise<Readable | null> {
      const path = objectPath(dir, key);
      // Opened before it is handed out, so a missing object is null here rather than a stream error later.
      const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw err;
      });
      return handle ? handle.createReadStream() : null;
    },
    async write(key: string, body: Readable, meta: { byteSize: number; contentType: string }): Promise<void> {
      // The content type is the file row's; a file on disk has none to keep. An import may bring
      // back a key deleted here before: a deliberate write lifts the tombstone.
      await rm(tombstonePath(dir, key), { force: true });
      const written = await writeObject(dir, key, body, meta.byteSize, (w) => w.byteSize === meta.byteSize);
      if (!written.stored) throw new Error(`write ${key}: ${written.byteSize} bytes arrived, ${meta.byteSize} expected; nothing was stored`);
    },
  };
}
