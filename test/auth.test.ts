import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDocumentDocument,
  DocumentsDocument,
  LoginDocument,
  MeDocument,
  RemoveMemberDocument,
  SwitchOrganizationDocument,
} from '../src/client/generated/graphql.js';
import { issueToken } from '../src/auth/tokens.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, TEST_PASSWORD, tokenFor, type TestOrg, type TestUser } from './support/factories.js';
import { codes, gql, gqlOk } from './support/graphql.js';
import { inviteAndAccept } from './support/mail.js';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

const uniqueEmail = () => `new-${randomBytes(5).toString('hex')}@example.test`;
const titles = (res: { documents: { edges: { node: { title: string } }[] } }) => res.documents.edges.map((e) => e.node.title).sort();

// signUp and confirmSignUp: sign-up.test.ts.

describe('login', () => {
  it('accepts the right password with a working token, and answers a wrong password and an unknown email alike', async () => {
    const org = await createOrg(app, { documents: 2 });
    const ok = await gqlOk(app, LoginDocument, { input: { email: org.owner.email, password: TEST_PASSWORD } });
    expect(ok.login.organization?.id).toBe(org.id);
    const docs = await gqlOk(app, DocumentsDocument, {}, { token: ok.login.accessToken });
    expect(titles(docs)).toEqual(org.documents.map((d) => d.title).sort());

    const wrong = await gql(app, LoginDocument, { input: { email: org.owner.email, password: 'wrong password!!' } });
    const unknown = await gql(app, LoginDocument, { input: { email: uniqueEmail(), password: TEST_PASSWORD } });
    expect(codes(wrong)).toEqual(['UNAUTHENTICATED']);
    expect(codes(unknown)).toEqual(['UNAUTHENTICATED']);
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors?.[0]?.message);
    expect(unknown.status).toBe(wrong.status);
  });

  it('refuses an organizationId the user is not a member of with FORBIDDEN', async () => {
    const [mine, theirs] = await Promise.all([createOrg(app), createOrg(app)]);
    const res = await gql(app, LoginDocument, { input: { email: mine.owner.email, password: TEST_PASSWORD, organizationId: theirs.id } });
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(res.data).toBeNull();
  });
});

describe('switchOrganization', () => {
  it('gives a token for an organization the user belongs to, and refuses one they do not', async () => {
    const [a, b, c] = await Promise.all([createOrg(app, { documents: 1 }), createOrg(app, { documents: 2 }), createOrg(app)]);
    // B's owner invites A's owner to B, who accepts, over the API.
    await inviteAndAccept(app, b.owner.token, a.owner, 'MEMBER');

    const before = await gqlOk(app, DocumentsDocument, {}, { token: a.owner.token });
    expect(titles(before)).toEqual(a.documents.map((d) => d.title));

    const switched = await gqlOk(app, SwitchOrganizationDocument, { organizationId: b.id }, { token: a.owner.token });
    expect(switched.switchOrganization.organization?.id).toBe(b.id);
    const after = await gqlOk(app, DocumentsDocument, {}, { token: switched.switchOrganization.accessToken });
    expect(titles(after)).toEqual(b.documents.map((d) => d.title).sort());
    const me = await gqlOk(app, MeDocument, {}, { token: switched.switchOrganization.accessToken });
    expect(me.me).toMatchObject({ role: 'MEMBER', organization: { id: b.id } });

    const refused = await gql(app, SwitchOrganizationDocument, { organizationId: c.id }, { token: a.owner.token });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    expect(refused.data).toBeNull();
  });
});

describe('requests without a usable tenant', () => {
  it('me without a token is UNAUTHENTICATED', async () => {
    expect(codes(await gql(app, MeDocument, {}))).toEqual(['UNAUTHENTICATED']);
  });

  it('a tenant-scoped query is UNAUTHENTICATED without a token and FORBIDDEN with a token naming no organization', async () => {
    const org = await createOrg(app, { documents: 1 });
    const anonymous = await gql(app, DocumentsDocument, {});
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(anonymous.data).toBeNull();

    const noOrg = await gql(app, DocumentsDocument, {}, { token: await tokenFor(app, org.owner.id, null) });
    expect(codes(noOrg)).toEqual(['FORBIDDEN']);
    expect(noOrg.data).toBeNull();
    expect(noOrg.raw).not.toContain(org.documents[0]!.title);
  });
});

describe('membership is checked on every request', () => {
  /** X (the org's second user) keeps a valid token but is no longer a member: tenant fields refuse, `me` answers. */
  async function expectRevoked(org: TestOrg, x: TestUser) {
    const docs = await gql(app, DocumentsDocument, {}, { token: x.token });
    expect(codes(docs)).toEqual(['FORBIDDEN']);
    expect(docs.data).toBeNull();
    expect(docs.raw).not.toContain(org.documents[0]!.title);
    const create = await gql(app, CreateDocumentDocument, { input: { title: 'after removal' } }, { token: x.token });
    expect(codes(create)).toEqual(['FORBIDDEN']);

    const me = await gqlOk(app, MeDocument, {}, { token: x.token });
    expect(me.me.user.id).toBe(x.id);
    expect(me.me.organization).toBeNull();
    expect(me.me.role).toBeNull();
    expect(me.me.memberships).toEqual([]);
    // Nothing was written by the refused mutation.
    expect(titles(await gqlOk(app, DocumentsDocument, {}, { token: org.owner.token }))).toEqual([org.documents[0]!.title]);
  }

  it('a member removed by the owner (removeMember over HTTP) loses access at once with the same token', async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 1 });
    const x = org.users[1]!;
    expect(titles(await gqlOk(app, DocumentsDocument, {}, { token: x.token }))).toEqual([org.documents[0]!.title]);

    expect(await gqlOk(app, RemoveMemberDocument, { userId: x.id }, { token: org.owner.token })).toEqual({ removeMember: x.id });
    await expectRevoked(org, x);
  });

  it('a membership deleted in the database stops the very next request, whatever the token says', async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 1 });
    const x = org.users[1]!;
    expect(titles(await gqlOk(app, DocumentsDocument, {}, { token: x.token }))).toEqual([org.documents[0]!.title]);

    const { rowCount } = await withSql(app.databaseUrl, (sql) =>
      sql.query('delete from membership where organization_id = $1 and user_id = $2', [org.id, x.id]),
    );
    expect(rowCount).toBe(1);
    await expectRevoked(org, x);
  });

  it('the role comes from the database: a VIEWER whose token claims OWNER cannot create documents', async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'VIEWER'], documents: 1 });
    const viewer = org.users[1]!;
    const forged = (await issueToken(app.config.jwt, { userId: viewer.id, organizationId: org.id, role: 'OWNER' })).accessToken;

    // The token itself is valid: reads work, and the server reports the real role.
    expect((await gqlOk(app, MeDocument, {}, { token: forged })).me.role).toBe('VIEWER');
    expect(titles(await gqlOk(app, DocumentsDocument, {}, { token: forged }))).toEqual([org.documents[0]!.title]);

    const res = await gql(app, CreateDocumentDocument, { input: { title: 'viewer wrote this' } }, { token: forged });
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(res.data).toBeNull();
    expect(titles(await gqlOk(app, DocumentsDocument, {}, { token: org.owner.token }))).toEqual([org.documents[0]!.title]);
  });
});
