import { decodeProtectedHeader } from 'jose';
import type { AppConfig } from '../config/index.js';
import { unauthenticated } from '../graphql/errors.js';
import { createExternalVerifier } from './jwks.js';
import { isJoseError, verifyLocalToken, type TokenClaims } from './tokens.js';
import { verifiedTokenCache } from './verified-tokens.js';

/** Reads `Authorization`: null when absent, the verified claims, or UNAUTHENTICATED (HTTP 401). */
export type Authenticator = (authorization: string | undefined) => Promise<TokenClaims | null>;

const BEARER = /^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/;

export function createAuthenticator(config: Pick<AppConfig, 'jwt' | 'jwks'>): Authenticator {
  const external = config.jwks ? createExternalVerifier(config.jwks) : undefined;
  const invalid = (message = 'Invalid token.') => unauthenticated(message, 401);
  const verified = verifiedTokenCache();

  return async (authorization) => {
    if (authorization === undefined || authorization === '') return null;
    const token = BEARER.exec(authorization)?.[1];
    if (!token) throw invalid('Malformed Authorization header: expected "Bearer <token>".');
    const known = verified.get(token);
    if (known) return known;

    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw invalid();
    }
    // `alg` only picks which verifier to try; each one pins its own algorithms and keys.
    try {
      if (alg === 'HS256') {
        const claims = await verifyLocalToken(config.jwt, token);
        verified.set(token, claims);
        return claims;
      }
      if (external && (alg === 'RS256' || alg === 'ES256')) return await external(token);
    } catch (err) {
      if (isJoseError(err)) throw invalid(err.code === 'ERR_JWT_EXPIRED' ? 'Token expired.' : 'Invalid token.');
      throw err;
    }
    throw invalid();
  };
}
