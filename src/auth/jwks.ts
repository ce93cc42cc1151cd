import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { AppConfig } from '../config/index.js';
import { isPlausibleEmail, normalizeEmail } from './email.js';
import type { TokenClaims } from './tokens.js';

export type ExternalVerifier = (token: string) => Promise<TokenClaims>;

/**
 * Tokens from an external identity provider, verified against its JWKS (RS256/ES256 only).
 * jose caches the key set and refetches at most every 30 s on an unknown `kid`, so a flood of
 * made-up key ids cannot hammer the provider. The user is matched by email; the organization
 * comes from the configured claim and is still checked against memberships here.
 */
export function createExternalVerifier(jwks: NonNullable<AppConfig['jwks']>): ExternalVerifier {
  const keySet = createRemoteJWKSet(new URL(jwks.url), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  return async (token) => {
    const { payload } = await jwtVerify(token, keySet, {
      algorithms: ['RS256', 'ES256'],
      issuer: jwks.issuer,
      audience: jwks.audience,
      requiredClaims: ['exp'],
    });
    const claim = payload[jwks.emailClaim];
    const org = payload[jwks.orgClaim];
    // The same normalized form as every other way an email enters (src/auth/email.ts); a claim
    // that is no plausible address (NUL, a lone surrogate, 10 kB) names nobody and never reaches a query.
    const email = typeof claim === 'string' ? normalizeEmail(claim) : undefined;
    return {
      email: email !== undefined && isPlausibleEmail(email) ? email : undefined,
      organizationId: typeof org === 'string' ? org : undefined,
    };
  };
}
