import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { webcrypto } from 'node:crypto';
import type { AppConfig } from '../config/index.js';
import type { Role } from '../db/entities/index.js';

/** What a verified token says. The server re-checks membership and role on every request. */
export interface TokenClaims {
  /** Our user id for local tokens; external (JWKS) tokens name the user by email instead. */
  userId?: string;
  email?: string;
  organizationId?: string;
  /** `exp`, in seconds since the epoch. */
  expiresAt?: number;
}

export interface IssuedToken {
  accessToken: string;
  expiresAt: Date;
}

export async function issueToken(
  jwt: AppConfig['jwt'],
  claims: { userId: string; organizationId?: string | null; role?: Role | null },
): Promise<IssuedToken> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + jwt.ttlSeconds;
  const payload: JWTPayload = {};
  if (claims.organizationId) payload.org_id = claims.organizationId;
  if (claims.role) payload.role = claims.role;
  const accessToken = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(jwt.issuer)
    .setAudience(jwt.audience)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(jwt.secret);
  return { accessToken, expiresAt: new Date(exp * 1000) };
}

/**
 * Verifies one of our own tokens: HS256 only (an RS/ES token or `alg: none` is refused by the
 * algorithm pin, not by luck), `exp` required, issuer and audience checked, no clock tolerance.
 */
export async function verifyLocalToken(jwt: Pick<AppConfig['jwt'], 'secret' | 'issuer' | 'audience'>, token: string): Promise<TokenClaims> {
  const { payload } = await jwtVerify(token, await verificationKey(jwt.secret), {
    algorithms: ['HS256'],
    issuer: jwt.issuer,
    audience: jwt.audience,
    requiredClaims: ['exp', 'iat', 'sub'],
  });
  return {
    userId: payload.sub,
    organizationId: typeof payload.org_id === 'string' ? payload.org_id : undefined,
    expiresAt: payload.exp,
  };
}

// Given raw bytes, jose imports a WebCrypto key on every verification (several times the cost
// of the HMAC itself): import each secret once.
const verificationKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>();

function verificationKey(secret: Uint8Array): Promise<webcrypto.CryptoKey> {
  let key = verificationKeys.get(secret);
  if (!key) {
    key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    verificationKeys.set(secret, key);
  }
  return key;
}

export const isJoseError = (err: unknown): err is joseErrors.JOSEError => err instanceof joseErrors.JOSEError;
