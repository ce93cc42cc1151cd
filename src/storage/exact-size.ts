import { Transform } from 'node:stream';

/** The body had more or fewer bytes than declared; nothing of it may be kept. */
export class SizeMismatchError extends Error {
  constructor(readonly expected: number, readonly actual: number | 'more') {
    super(`expected exactly ${expected} bytes, got ${actual === 'more' ? 'more' : actual}`);
  }
}

/**
 * A pass-through that fails with SizeMismatchError as soon as more than `byteSize` bytes go
 * through it, or at the end when fewer did: a writer behind it (a file, a block upload) sees the
 * error before it commits anything.
 */
export function exactSize(byteSize: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, next) {
      seen += chunk.length;
      if (seen > byteSize) return next(new SizeMismatchError(byteSize, 'more'));
      next(null, chunk);
    },
    flush(done) {
      done(seen === byteSize ? null : new SizeMismatchError(byteSize, seen));
    },
  });
}
