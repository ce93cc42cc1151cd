import { Transform } from 'node:stream';

/** Raised by exactLength's stream when the bytes are more or fewer than promised. */
export class LengthMismatch extends Error {
  constructor(expected: number, seen: number, more: boolean) {
    super(`the body has ${more ? 'more than' : 'only'} ${seen} bytes, not the ${expected} declared`);
    this.name = 'LengthMismatch';
  }
}

/**
 * A pass-through that fails (LengthMismatch) as soon as more than `byteSize` bytes go through, or
 * at the end when fewer did: an upload it feeds is aborted instead of storing a cut or padded object.
 */
export function exactLength(byteSize: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, next) {
      seen += chunk.length;
      if (seen > byteSize) return next(new LengthMismatch(byteSize, seen, true));
      next(null, chunk);
    },
    flush(done) {
      done(seen === byteSize ? null : new LengthMismatch(byteSize, seen, false));
    },
  });
}
