import { createHmac, timingSafeEqual } from 'node:crypto';

// The `local` provider's signed URLs: /files/<payload>.<signature>, both base64url. The payload
// is JSON naming everything the URL grants; the signature is HMAC-SHA256 (RFC 2104) over the
// payload's exact bytes with STORAGE_SIGNING_SECRET, so changing any part of it (key, method,
// expiry, size, checksum, content type) breaks the signature.

/** Everything a signed URL grants. `e`: expiry, seconds since the epoch. */
export type SignedClaims =
  | { m: 'PUT'; k: string; e: number; s: number; h: string; t: string }
  | { m: 'GET'; k: string; e: number; t: string; n: string };

/** Why a token was refused; the route answers each with 403 and this code. */
export type TokenRefusal = 'SIGNATURE_INVALID' | 'URL_EXPIRED' | 'METHOD_NOT_SIGNED';

const sign = (secret: Uint8Array, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

/** The token for `claims`, to put after `/files/`. */
export function signToken(secret: Uint8Array, claims: SignedClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

/**
 * The claims of `token` when its signature is this secret's, it has not expired at `now`, and it
 * was signed for `method`; otherwise the refusal. The signature is compared in constant time and
 * checked before the payload is parsed, so nothing unsigned is ever read.
 */
export function verifyToken(secret: Uint8Array, token: string, method: string, now = new Date()): SignedClaims | TokenRefusal {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return 'SIGNATURE_INVALID';
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(secret, payload), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'SIGNATURE_INVALID';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SignedClaims;
  if (claims.m !== method) return 'METHOD_NOT_SIGNED';
  if (claims.e * 1000 <= now.getTime()) return 'URL_EXPIRED';
  return claims;
}
