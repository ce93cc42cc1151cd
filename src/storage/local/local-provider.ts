import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DownloadGrant, SignedUpload, StorageProvider, StoredObject, UploadGrant } from '../storage-provider.js';
import { isObjectKey } from '../object-key.js';
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
 * Files on this machine's disk under `dir` (STORAGE_LOCAL_DIR), with signed URLs served by the API
 * itself (local-routes.ts): `PUT|GET <origin>/files/<token>`, the token signed with `secret`.
 * For one instance or instances sharing a directory; `stat` reads the whole object to hash it.
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
      await rm(objectPath(dir, key), { force: true });
    },
    // Minimal read/write so this branch type-checks with the shared interface; the files-lifecycle
    // branch brings the real ones (atomic, size-checked write).
    async read(key: string): Promise<Readable | null> {
      const path = objectPath(dir, key);
      return (await stat(path).catch(() => null)) ? createReadStream(path) : null;
    },
    async write(key: string, body: Readable): Promise<void> {
      const path = objectPath(dir, key);
      await mkdir(dirname(path), { recursive: true });
      await pipeline(body, createWriteStream(path, { mode: 0o600 }));
    },
  };
}
