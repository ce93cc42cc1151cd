import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, MeDocument } from '../src/client/generated/graphql.js';
import { normalizeEmail } from '../src/auth/email.js';
import { connectOrm } from '../src/db/orm.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createEmptyDatabase } from './support/empty-database.js';
import { createOrg, TEST_PASSWORD } from './support/factories.js';
import { gqlOk } from './support/graphql.js';
import { expectRateLimited, send } from './support/rate-limit-helpers.js';
import { idpToken, signingKey, startJwksServer, type JwksServer, type SigningKey } from './support/tokens-helpers.js';

// One normalized form of an email (src/auth/email.ts) and the migration that rewrites stored
// ones; the sign-in throttle and the identity provider's email claim use it too. Sign-up, sign-in
// and invitations with other spellings: sign-up.test.ts, invitation.test.ts.

describe('normalizeEmail', () => {
  it('joins the spellings a person cannot tell apart: Unicode forms, letter case, folding', () => {
    const same: [string, string][] = [
      ['jos\u00e9@example.test', 'jose\u0301@example.test'], // precomposed é vs e + combining acute
      ['JOS\u00c9@EXAMPLE.TEST', 'jose\u0301@example.test'],
      ['  Ada@Example.Test ', 'ada@example.test'],
      ['stra\u00dfe@example.test', 'STRASSE@example.test'], // ß, SS
      ['stra\u1e9ee@example.test', 'strasse@example.test'], // capital sharp s
      ['\ufb01nance@example.test', 'finance@example.test'], // the fi ligature
      ['\u03a3\u03b1\u03c3@example.test', '\u03c3\u03b1\u03c2@example.test'], // sigma forms
      ['\u212bngstrom@example.test', '\u00e5ngstrom@example.test'], // ANGSTROM SIGN vs å
    ];
    for (const [a, b] of same) expect(normalizeEmail(a), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(normalizeEmail(b));
    expect(normalizeEmail('jose\u0301@example.test')).toBe('jos\u00e9@example.test'); // stored precomposed (NFC)
    // Different addresses stay different.
    expect(normalizeEmail('jose@example.test')).not.toBe(normalizeEmail('jos\u00e9@example.test'));
  });

  it('is idempotent and gives every code point and its upper and lower case one form', () => {
    const problems: string[] = [];
    for (let cp = 0; cp <= 0x10ffff && problems.length < 5; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = `a${String.fromCodePoint(cp)}b`; // inside a word, where context-dependent mappings apply
      const n = normalizeEmail(s);
      if (normalizeEmail(n) !== n) problems.push(`U+${cp.toString(16)}: not idempotent`);
      if (normalizeEmail(s.toUpperCase()) !== n || normalizeEmail(s.toLowerCase()) !== n) problems.push(`U+${cp.toString(16)}: case variants differ`);
      if (n !== n.normalize('NFC')) problems.push(`U+${cp.toString(16)}: not NFC`);
    }
    expect(problems).toEqual([]);
  });
});

describe('the migration that normalizes stored emails', () => {
  /** A database migrated up to (not including) the normalization, with these users in it. */
  async function databaseWith(emails: string[]): Promise<{ url: string; ids: string[]; migrate: () => Promise<void> }> {
    const url = await createEmptyDatabase();
    const orm = await connectOrm({ clientUrl: url, mode: 'multi_tenant', poolMax: 1 });
    try {
      await orm.getMigrator().up({ to: 'Migration20261127030000_comment' });
    } finally {
      await orm.close();
    }
    const ids = emails.map(() => randomUUID());
    await withSql(url, async (c) => {
      for (const [i, email] of emails.entries()) {
        await c.query(`insert into "user" (id, email, name, password_hash, created_at) values ($1, $2, 'x', 'x', now() + $3 * interval '1 second')`, [ids[i], email, i]);
      }
    });
    const migrate = async () => {
      const again = await connectOrm({ clientUrl: url, mode: 'multi_tenant', poolMax: 1 });
      try {
        await again.getMigrator().up();
      } finally {
        await again.close();
      }
    };
    return { url, ids, migrate };
  }

  const stored = (url: string) => withSql(url, async (c) => (await c.query<{ id: string; email: string }>('select id, email from "user" order by created_at')).rows);

  it('rewrites each email to its normalized form', async () => {
    const { url, ids, migrate } = await databaseWith(['jose\u0301@example.test', 'plain@example.test', 'stra\u00dfe@example.test']);
    await migrate();
    expect(await stored(url)).toEqual([
      { id: ids[0], email: 'jos\u00e9@example.test' },
      { id: ids[1], email: 'plain@example.test' },
      { id: ids[2], email: 'strasse@example.test' },
    ]);
  });

  it('refuses, naming both accounts and changing nothing, when two emails normalize to one', async () => {
    const { url, ids, migrate } = await databaseWith(['jos\u00e9@example.test', 'jose\u0301@example.test', 'other\u0301@example.test']);
    const before = await stored(url);
    const err = await migrate().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toContain(`users ${ids[0]}, ${ids[1]}`);
    expect(String((err as Error).message)).toMatch(/nothing was changed/);
    expect(await stored(url)).toEqual(before);
    const applied = await withSql(url, async (c) => (await c.query<{ name: string }>('select name from mikro_orm_migrations')).rows.map((r) => r.name));
    expect(applied).not.toContain('Migration20261201000000_normalize_emails');
  });
});

describe('every way an email enters uses the normalized form', () => {
  const ISSUER = 'https://idp.example.test';
  const AUDIENCE = 'tenantql-api';
  let app: TestApp;
  let jwks: JwksServer;
  let key: SigningKey;
  /** A user stored as `josé-<tag>@example.test` (precomposed), member of an organization. */
  let email: string;
  let org: Awaited<ReturnType<typeof createOrg>>;
  beforeAll(async () => {
    key = await signingKey('ES256', 'k1');
    jwks = await startJwksServer([key]);
    app = await startApp({ JWKS_URL: jwks.url, JWKS_ISSUER: ISSUER, JWKS_AUDIENCE: AUDIENCE, LOGIN_MAX_FAILURES_PER_EMAIL: '2', TRUST_PROXY: 'loopback' });
    org = await createOrg(app);
    email = `jos\u00e9-${randomBytes(4).toString('hex')}@example.test`;
    await withSql(app.databaseUrl, (c) => c.query('update "user" set email = $1 where id = $2', [email, org.owner.id]));
  });
  afterAll(async () => {
    await app?.close();
    await jwks?.close();
  });
  const spellings = () => [email.replace('\u00e9', 'e\u0301'), email.toUpperCase(), ` ${email.normalize('NFD').toUpperCase()} `];

  it("the identity provider's email claim, in any spelling, names the stored user", async () => {
    for (const claim of spellings()) {
      const token = await idpToken(key, { email: claim, org_id: org.id }, { issuer: ISSUER, audience: AUDIENCE });
      expect((await gqlOk(app, MeDocument, {}, { token })).me.user.id, JSON.stringify(claim)).toBe(org.owner.id);
    }
  });

  it('sign-in failures in different spellings count against one email', async () => {
    const [a, b, c] = spellings();
    for (const [i, spelling] of [a!, b!].entries()) {
      const res = await send(app, LoginDocument, { input: { email: spelling, password: 'wrong password' } }, { from: `198.51.100.${40 + i}` });
      expect(res.errors?.[0]?.extensions?.code, res.raw).toBe('UNAUTHENTICATED');
    }
    expectRateLimited(await send(app, LoginDocument, { input: { email: c!, password: TEST_PASSWORD } }, { from: '198.51.100.42' }), 'a third spelling', 900);
  });
});
