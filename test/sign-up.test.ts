import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfirmSignUpDocument, DocumentsDocument, LoginDocument, MeDocument, SignUpDocument } from '../src/client/generated/graphql.js';
import { createOrganization } from '../src/modules/viewer/slug.js';
import { forkForSystem } from '../src/tenancy/tenant-entity-manager.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { sleep } from './support/documents-helpers.js';
import { codes, gql, gqlOk, type GraphQLResponse } from './support/graphql.js';
import { lastMailTo, mailsTo, outbox, signUpAndConfirm } from './support/mail.js';

// Sign-up by email confirmation (modules/viewer/sign-up.service.ts): signUp answers a taken and a
// free address identically and mails either a token or a note; confirmSignUp creates the account.

// Counts the server's password hashes (the real argon2id still runs): the server runs in this process.
const hashes = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/auth/password.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/auth/password.js')>();
  return { ...real, hashPassword: (password: string) => ((hashes.count += 1), real.hashPassword(password)) };
});

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const tag = () => randomBytes(5).toString('hex');
const input = (over: Partial<{ email: string; password: string; name: string; organizationName: string | null }> = {}) => ({
  email: `new-${tag()}@example.test`,
  password: 'a long enough password',
  name: 'Ada',
  organizationName: 'Analytical Engines',
  ...over,
});

/** An answer without what differs per request (the request id). */
const answer = (res: GraphQLResponse<unknown>) => ({ status: res.status, body: JSON.parse(res.raw.replace(/"requestId":"[^"]*"/g, '"requestId":"x"')) as unknown });

const pendingRows = (email: string) =>
  withSql(app.databaseUrl, async (c) => (await c.query<{ id: string; token_hash: string }>('select id, token_hash from pending_sign_up where email = $1', [email])).rows);

describe('signUp answers a taken and a free address alike', () => {
  it('same status and body; a token goes to the free address, a note without one to the taken address', async () => {
    const existing = await signUpAndConfirm(app, input());
    const taken = await gql(app, SignUpDocument, { input: input({ email: existing.user.email, organizationName: 'Another' }) });
    const freeInput = input({ organizationName: 'Another' });
    const free = await gql(app, SignUpDocument, { input: freeInput });
    expect(answer(taken)).toEqual(answer(free));
    expect(taken.status).toBe(200);
    expect(taken.data?.signUp.message).toMatch(/check your inbox/i);

    const toFree = await lastMailTo(app, freeInput.email);
    expect(toFree.subject).toMatch(/confirm/i);
    expect(toFree.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [noteToTaken] = (await mailsTo(app, existing.user.email, 2)).slice(1);
    expect(noteToTaken?.subject).toMatch(/already have/);
    expect(noteToTaken?.token).toBeUndefined();
    expect(noteToTaken?.text).not.toMatch(/[A-Za-z0-9_-]{43}/);
    // Nothing was stored for the taken address: there is nothing to confirm.
    expect(await pendingRows(existing.user.email)).toEqual([]);
  });

  it('hashes the password on both paths, so the time tells nothing either', async () => {
    const existing = await signUpAndConfirm(app, input({ organizationName: null }));
    for (const email of [existing.user.email, `free-${tag()}@example.test`]) {
      const before = hashes.count;
      await gqlOk(app, SignUpDocument, { input: input({ email }) });
      // One argon2id hash (19 MiB, 2 passes: the bulk of a sign-up's time) whether taken or free.
      expect(hashes.count - before, email).toBe(1);
    }
  });

  it('input mistakes depend on the input alone: BAD_USER_INPUT, nothing stored, nothing sent', async () => {
    const bads = [input({ password: 'short' }), input({ email: 'not-an-email' }), input({ email: 'a b@example.test' }), input({ name: ' ' }), input({ organizationName: '' })];
    for (const bad of bads) {
      const res = await gql(app, SignUpDocument, { input: bad });
      expect(codes(res), JSON.stringify(bad)).toEqual(['BAD_USER_INPUT']);
      expect(res.data).toBeNull();
    }
    await sleep(200); // mail goes out in the background: give a wrongly queued one time to show
    const to = new Set(bads.map((b) => b.email.trim()));
    expect((await outbox(app)).filter((m) => to.has(m.to))).toEqual([]);
    expect(await withSql(app.databaseUrl, async (c) => (await c.query('select 1 from pending_sign_up where email = any($1)', [[...to]])).rowCount)).toBe(0);
  });
});

describe('confirmSignUp', () => {
  it('creates the user and the organization asked for, with them as OWNER, and signs in', async () => {
    const asked = input();
    await gqlOk(app, SignUpDocument, { input: asked });
    const mail = await lastMailTo(app, asked.email);
    expect(mail.subject).toMatch(/confirm/i);
    expect(mail.from).toMatch(/@/);
    // Not before confirmation: no account yet.
    expect(codes(await gql(app, LoginDocument, { input: { email: asked.email, password: asked.password } }))).toEqual(['UNAUTHENTICATED']);

    const { confirmSignUp: res } = await gqlOk(app, ConfirmSignUpDocument, { token: mail.token! });
    expect(res.user.email).toBe(asked.email);
    expect(res.organization?.name).toBe('Analytical Engines');
    expect(new Date(res.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const me = await gqlOk(app, MeDocument, {}, { token: res.accessToken });
    expect(me.me).toMatchObject({ role: 'OWNER', organization: { id: res.organization?.id }, user: { id: res.user.id } });
    expect((await gqlOk(app, DocumentsDocument, {}, { token: res.accessToken })).documents.edges).toEqual([]);
    // The password chosen at sign-up is the account's.
    expect((await gqlOk(app, LoginDocument, { input: { email: asked.email, password: asked.password } })).login.user.id).toBe(res.user.id);
  });

  it('without organizationName: an account without an organization', async () => {
    const res = await signUpAndConfirm(app, input({ organizationName: null }));
    expect(res.organization).toBeNull();
    const me = await gqlOk(app, MeDocument, {}, { token: res.accessToken });
    expect(me.me).toMatchObject({ organization: null, role: null, memberships: [] });
  });

  it('works once: the same token again, and the address\'s other pending sign-ups, are refused', async () => {
    const asked = input();
    await gqlOk(app, SignUpDocument, { input: asked });
    await gqlOk(app, SignUpDocument, { input: { ...asked, organizationName: 'Second try' } });
    const [first, second] = await mailsTo(app, asked.email, 2);
    await gqlOk(app, ConfirmSignUpDocument, { token: first!.token! });
    for (const token of [first!.token!, second!.token!]) {
      const again = await gql(app, ConfirmSignUpDocument, { token });
      expect(codes(again)).toEqual(['BAD_USER_INPUT']);
      expect(again.data).toBeNull();
    }
    expect(await pendingRows(asked.email)).toEqual([]);
    const users = await withSql(app.databaseUrl, (c) => c.query('select id from "user" where email = $1', [asked.email]));
    expect(users.rowCount).toBe(1);
  });

  it('refuses an expired, a wrong and a malformed token alike, creating nothing', async () => {
    const asked = input();
    await gqlOk(app, SignUpDocument, { input: asked });
    const { token } = await lastMailTo(app, asked.email);
    await withSql(app.databaseUrl, (c) => c.query("update pending_sign_up set expires_at = now() - interval '1 second' where email = $1", [asked.email]));
    const refusals = await Promise.all(
      [token!, randomBytes(32).toString('base64url'), 'not a token', '', `${token!}x`].map((t) => gql(app, ConfirmSignUpDocument, { token: t })),
    );
    for (const res of refusals) {
      expect(codes(res), res.raw).toEqual(['BAD_USER_INPUT']);
      expect(res.errors?.[0]?.message).toBe(refusals[0]!.errors?.[0]?.message);
    }
    const users = await withSql(app.databaseUrl, (c) => c.query('select id from "user" where email = $1', [asked.email]));
    expect(users.rowCount).toBe(0);
  });

  it('stores only a hash of the token', async () => {
    const asked = input();
    await gqlOk(app, SignUpDocument, { input: asked });
    const { token } = await lastMailTo(app, asked.email);
    const rows = await withSql(app.databaseUrl, (c) => c.query('select to_jsonb(p)::text as row from pending_sign_up p where email = $1', [asked.email]));
    expect(rows.rowCount).toBe(1);
    expect(rows.rows[0].row).not.toContain(token);
    expect(rows.rows[0].row).not.toContain(asked.password);
  });
});

describe('one account per address, however it is spelled', () => {
  it('Unicode forms and letter case: the second sign-up is told it has an account; sign-in works with any spelling', async () => {
    const local = `jos\u00e9-${tag()}`;
    const res = await signUpAndConfirm(app, input({ email: `${local}@example.test`, organizationName: null }));
    expect(res.user.email).toBe(`${local}@example.test`);
    const variants = [`${local.replace('\u00e9', 'e\u0301')}@example.test`, `${local.toUpperCase()}@EXAMPLE.TEST`, ` ${local.normalize('NFD').toUpperCase()}@Example.Test `];
    for (const [i, email] of variants.entries()) {
      await gqlOk(app, SignUpDocument, { input: input({ email }) });
      const note = await lastMailTo(app, res.user.email, 2 + i);
      expect(note.subject, email).toMatch(/already have/);
      const login = await gqlOk(app, LoginDocument, { input: { email, password: 'a long enough password' } });
      expect(login.login.user.id, email).toBe(res.user.id);
    }
    // One row, stored in the normalized form (NFC, case-folded).
    const stored = await withSql(app.databaseUrl, (c) => c.query<{ id: string; email: string }>('select id, email from "user" where email like $1', [`%${local.slice(-10)}%`]));
    expect(stored.rows).toEqual([{ id: res.user.id, email: `${local}@example.test` }]);
  });
});

describe('organization slugs', () => {
  it('have the same shape whether or not another organization has the name', async () => {
    const name = `Globex ${tag()}`;
    const base = name.toLowerCase().replace(' ', '-');
    await withSql(app.databaseUrl, (c) => c.query('insert into organization (id, name, slug) values ($1, $2, $3)', [randomUUID(), name, base]));
    const onTaken = await signUpAndConfirm(app, input({ organizationName: name }));
    const fresh = `Initech ${tag()}`;
    const onFree = await signUpAndConfirm(app, input({ organizationName: fresh }));
    const slugOf = async (id: string) => (await withSql(app.databaseUrl, (c) => c.query<{ slug: string }>('select slug from organization where id = $1', [id]))).rows[0]!.slug;
    expect(await slugOf(onTaken.organization!.id)).toMatch(new RegExp(`^${base}-[0-9a-f]{6}$`));
    expect(await slugOf(onFree.organization!.id)).toMatch(new RegExp(`^${fresh.toLowerCase().replace(' ', '-')}-[0-9a-f]{6}$`));
  });

  it('a slug that collides anyway is retried quietly with another suffix, in the same transaction', async () => {
    const name = `Retry ${tag()}`;
    const base = name.toLowerCase().replace(' ', '-');
    await withSql(app.databaseUrl, (c) => c.query('insert into organization (id, name, slug) values ($1, $2, $3)', [randomUUID(), name, `${base}-000000`]));
    const suffixes = ['000000', '000000', 'abcdef'];
    const em = forkForSystem(app.orm.em, 'test: slug retry');
    const id = randomUUID();
    const organization = await em.transactional(async (tx) => {
      const created = await createOrganization(tx, { id, name }, () => suffixes.shift()!);
      await tx.findOneOrFail('Organization', id); // the transaction is still usable after the collisions
      return created;
    });
    expect(organization.slug).toBe(`${base}-abcdef`);
    expect(suffixes).toEqual([]);
    const stored = await withSql(app.databaseUrl, (c) => c.query('select slug from organization where id = $1', [id]));
    expect(stored.rows).toEqual([{ slug: `${base}-abcdef` }]);
  });
});
