import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import type { GraphQLResponse } from './graphql.js';

/** Words of jose's (or any JWT library's) error messages and codes: none may reach a client. */
export const LIBRARY_WORDS = /jws|jwt|jose|signature verification|err_|claim/i;

export const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Decodes the payload part of a compact JWS (no verification). */
export const payloadOf = (token: string): JWTPayload => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as JWTPayload;

/** `alg: none`: a header and payload with an empty signature. */
export const unsignedToken = (payload: JWTPayload, header: Record<string, unknown> = { alg: 'none', typ: 'JWT' }) =>
  `${b64url(header)}.${b64url(payload)}.`;

/** The same header and signature with a changed payload. */
export function tamper(token: string, changes: JWTPayload): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url({ ...payloadOf(token), ...changes })}.${signature}`;
}

/**
 * An HS256 token with full control over every claim; `exp: null` leaves exp out. By default it is
 * exactly what the server issues, so each test changes one thing.
 */
export async function signHs256(
  secret: Uint8Array,
  claims: { sub: string; org_id?: string; iss: string; aud: string; iat?: number; exp?: number | null },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { exp = now + 600, iat = now, ...rest } = claims;
  const payload: JWTPayload = { ...rest, iat };
  if (exp !== null) payload.exp = exp;
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

/** An UNAUTHENTICATED answer (HTTP 401, no data) that names no library detail. */
export function expectUnauthenticated(res: GraphQLResponse<unknown>, what: string): void {
  expect(res.status, `${what}: HTTP status (${res.raw})`).toBe(401);
  expect((res.errors ?? []).map((e) => e.extensions?.code), `${what}: error codes`).toEqual(['UNAUTHENTICATED']);
  expect(res.data ?? null, what).toBeNull();
  expectNoLibraryWords(res, what);
}

/** A FORBIDDEN answer (the token is fine, the membership is not) that names no library detail. */
export function expectForbidden(res: GraphQLResponse<unknown>, what: string): void {
  expect((res.errors ?? []).map((e) => e.extensions?.code), `${what}: error codes (${res.raw})`).toEqual(['FORBIDDEN']);
  expect(res.data ?? null, what).toBeNull();
  expectNoLibraryWords(res, what);
}

export function expectNoLibraryWords(res: Pick<GraphQLResponse<unknown>, 'raw'>, what: string): void {
  expect(res.raw, `${what}: response body`).not.toMatch(LIBRARY_WORDS);
}

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function signingKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A token as an external identity provider would issue it. `expires`: jose's setExpirationTime
 * input (default '10m' from now; a number is seconds since the epoch), or null for no `exp` at all.
 */
export function idpToken(
  key: Pick<SigningKey, 'alg' | 'kid' | 'privateKey'>,
  claims: JWTPayload,
  opts: { issuer: string; audience: string; expires?: string | number | null },
) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).setIssuer(opts.issuer).setAudience(opts.audience).setIssuedAt();
  const expires = opts.expires === undefined ? '10m' : opts.expires;
  return (expires === null ? jwt : jwt.setExpirationTime(expires)).sign(key.privateKey);
}

/**
 * The public half of a provider's key in the forms an algorithm-confusion attacker would use as
 * an HS256 secret: its PEM (SPKI) text and its JWK as served (JSON text), as bytes.
 */
export async function publicKeyAsSecrets(key: SigningKey): Promise<{ form: string; secret: Uint8Array }[]> {
  const pem = await exportSPKI((await importJWK(key.publicJwk, key.alg)) as CryptoKey);
  const encode = (s: string) => new TextEncoder().encode(s);
  return [
    { form: 'PEM', secret: encode(pem) },
    { form: 'PEM without its final newline', secret: encode(pem.trimEnd()) },
    { form: 'JWK (JSON as served)', secret: encode(JSON.stringify(key.publicJwk)) },
  ];
}

/** A JWKS endpoint on 127.0.0.1 that counts how often it is fetched; the served keys can be swapped. */
export interface JwksServer {
  url: string;
  /** GET requests served so far. */
  readonly fetches: number;
  serve(keys: SigningKey[]): void;
  close(): Promise<void>;
}

export async function startJwksServer(initial: SigningKey[]): Promise<JwksServer> {
  let keys = initial;
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/jwks') {
      res.writeHead(404).end();
      return;
    }
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    get fetches() {
      return fetches;
    },
    serve(next) {
      keys = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
