import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { objectPath } from './local-provider.js';

/** The body was longer than the most bytes allowed; nothing was stored. */
export class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

/** Size in bytes and SHA-256 (lower-case hex) of a body as it was streamed. */
export interface WrittenBody {
  byteSize: number;
  sha256: string;
}

/**
 * Streams `body` into a temporary file under `<dir>/.tmp` (mode 0600, never buffered), hashing
 * and counting it, and renames it to the object's path only when `accept` says yes: a reader
 * never sees a partial or refused object, and a failed write leaves nothing. Throws BodyTooLarge
 * as soon as more than `maxBytes` arrive. Returns what was streamed and whether it was stored.
 */
export async function writeObject(dir: string, key: string, body: Readable, maxBytes: number, accept: (written: WrittenBody) => boolean | Promise<boolean>): Promise<WrittenBody & { stored: boolean }> {
  const target = objectPath(dir, key); // refuses anything but an object key, before any disk access
  const tmp = join(resolve(dir), '.tmp');
  await mkdir(tmp, { recursive: true });
  const temp = join(tmp, randomUUID());
  const hash = createHash('sha256');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, next) {
      size += chunk.length;
      if (size > maxBytes) return next(new BodyTooLarge(`more than ${maxBytes} bytes`));
      hash.update(chunk);
      next(null, chunk);
    },
  });
  try {
    await pipeline(body, count, createWriteStream(temp, { mode: 0o600 }));
    const written = { byteSize: size, sha256: hash.digest('hex') };
    if (!(await accept(written))) {
      await rm(temp, { force: true });
      return { ...written, stored: false };
    }
    await mkdir(dirname(target), { recursive: true });
    await rename(temp, target);
    return { ...written, stored: true };
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
