import { jwtVerify } from 'jose';
import pg from 'pg';

// What the benchmark's own candidate servers (the ceiling and the peer) share: their settings
// from the environment, one pool, and token verification exactly as src/auth/tokens.ts does it.

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
const secret = new TextEncoder().encode(env('JWT_SECRET'));
const issuer = env('JWT_ISSUER');
const audience = env('JWT_AUDIENCE');

/** The token's user and organization (HS256, exp/iat/sub required, iss and aud checked), or null. */
export async function verifyBearer(header: string | undefined): Promise<Tenant | null> {
  const token = header ? BEARER.exec(header)?.[1] : undefined;
  if (!token) return null;
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], issuer, audience, requiredClaims: ['exp', 'iat', 'sub'] });
    if (typeof payload.sub !== 'string' || typeof payload.org_id !== 'string' || !UUID.test(payload.sub) || !UUID.test(payload.org_id)) return null;
    return { userId: payload.sub, organizationId: payload.org_id.toLowerCase() };
  } catch {
    return null;
  }
}
