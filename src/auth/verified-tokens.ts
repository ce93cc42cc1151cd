import { LRUCache } from 'lru-cache';
import type { TokenClaims } from './tokens.js';

/**
 * Our own (HS256) tokens, once verified, keyed by the whole token string: the same bytes verify
 * the same way until `exp`, which each hit checks again (the entry's TTL ends there too). Only
 * successes are kept; the secret cannot change without a restart. External (JWKS) tokens are not
 * cached: their keys rotate. Membership and role are still checked on every request.
 */
export function verifiedTokenCache() {
  const cache = new LRUCache<string, TokenClaims>({ max: 10_000 });
  return {
    get(token: string): TokenClaims | undefined {
      const claims = cache.get(token);
      return claims?.expiresAt !== undefined && claims.expiresAt * 1000 > Date.now() ? claims : undefined;
    },
    set(token: string, claims: TokenClaims): void {
      const ttl = (claims.expiresAt ?? 0) * 1000 - Date.now();
      if (ttl > 0) cache.set(token, claims, { ttl });
    },
  };
}
