import pg from 'pg';
import { verifyLocalToken } from '../src/auth/tokens.js';
import { verifiedTokenCache } from '../src/auth/verified-tokens.js';

// What the benchmark's own candidate servers (the ceiling and the peer) share: their settings
// from the environment, one pool, and token verification by the API's own code
// (src/auth/tokens.ts, and the verified-token cache of src/auth/verified-tokens.ts).

export const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One pool of DB_POOL_MAX connections to DATABASE_URL (the schema owner). */
export const createPool = () => new pg.Pool({ connectionString: env('DATABASE_URL'), max: Number(env('DB_POOL_MAX')) });

export interface Tenant {
  userId: string;
  organizationId: string;
}

const BEARER = /^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/;
const jwt = { secret: new TextEncoder().encode(env('JWT_SECRET')), issuer: env('JWT_ISSUER'), audience: env('JWT_AUDIENCE') };
const verified = verifiedTokenCache();

/** The token's user and organization (HS256, exp/iat/sub required, iss and aud checked), or null: as the API. */
export async function verifyBearer(header: string | undefined): Promise<Tenant | null> {
  const token = header ? BEARER.exec(header)?.[1] : undefined;
  if (!token) return null;
  try {
    let claims = verified.get(token);
    if (!claims) {
      claims = await verifyLocalToken(jwt, token);
      verified.set(token, claims);
    }
    const { userId, organizationId } = claims;
    if (!userId || !organizationId || !UUID.test(userId) || !UUID.test(organizationId)) return null;
    return { userId: userId.toLowerCase(), organizationId: organizationId.toLowerCase() };
  } catch {
    return null;
  }
}
