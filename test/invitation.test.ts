import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcceptInvitationDocument,
  InvitationsDocument,
  InviteMemberDocument,
  MeDocument,
  MembersDocument,
  RevokeInvitationDocument,
} from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { activityOf } from './support/documents-helpers.js';
import { createOrg, type TestOrg, type TestUser } from './support/factories.js';
import { codes, gql, gqlOk, type GraphQLResponse } from './support/graphql.js';
import { lastMailTo, signUpAndConfirm } from './support/mail.js';
import { expectRateLimited, expectServed, send } from './support/rate-limit-helpers.js';

// Invitations (modules/invitation/): inviteMember answers alike whether or not the address has an
// account; acceptInvitation by the signed-in owner of the invited address, in the inviting
// organization's tenant session.

let app: TestApp;
let org: TestOrg;
beforeAll(async () => {
  app = await startApp();
  org = await createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'], documents: 1 });
});
afterAll(() => app?.close());

const by = (o: TestOrg, role: string) => o.users.find((u) => u.role === role)!;
const newEmail = () => `invitee-${randomBytes(5).toString('hex')}@example.test`;
const invite = (caller: TestUser, email: string, role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER' = 'MEMBER') =>
  gql(app, InviteMemberDocument, { input: { email, role } }, { token: caller.token });
/** An invitation made over the API, with the token from its email. */
async function invited(caller: TestUser, email: string, role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER' = 'MEMBER', mailsBefore = 0) {
  const res = await invite(caller, email, role);
  const invitation = (res.data ?? undefined)?.inviteMember;
  if (!invitation) throw new Error(`inviteMember failed: ${res.raw}`);
  const mail = await lastMailTo(app, email, mailsBefore + 1);
  return { invitation, token: mail.token!, mail };
}
/** A person with an account and no organization, signed in. */
const person = (email = newEmail()) => signUpAndConfirm(app, { email, password: 'a long enough password', name: 'Invitee', organizationName: null });
const accept = (token: string, accessToken?: string) => gql(app, AcceptInvitationDocument, { token }, { token: accessToken });
const row = async (id: string) => (await withSql(app.databaseUrl, (c) => c.query('select * from invitation where id = $1', [id]))).rows[0] as Record<string, unknown> | undefined;
/** What must not tell an address with an account from one without: status and the body's shape and fixed values. */
const shape = (res: GraphQLResponse<unknown>) =>
  JSON.parse(res.raw.replace(/"requestId":"[^"]*"/g, '"requestId":"x"').replace(/"(id|createdAt|expiresAt|email)":"[^"]*"/g, '"$1":"x"')) as unknown;

describe('inviteMember', () => {
  it('answers alike whether or not the address has an account, and mails a token to it', async () => {
    const withAccount = await person();
    const [known, unknown] = [await invite(by(org, 'ADMIN'), withAccount.user.email), await invite(by(org, 'ADMIN'), newEmail())];
    expect(known.status).toBe(200);
    expect(shape(known)).toEqual(shape(unknown));
    expect(known.data?.inviteMember).toMatchObject({ email: withAccount.user.email, role: 'MEMBER', invitedBy: { id: by(org, 'ADMIN').id } });
    const mail = await lastMailTo(app, withAccount.user.email, 2);
    expect(mail.subject).toContain(org.name);
    expect(mail.token).toMatch(new RegExp(`^${org.id}\\.[A-Za-z0-9_-]{43}$`));
    // Only a hash of the token is stored.
    expect(JSON.stringify(await row(known.data!.inviteMember.id))).not.toContain(mail.token!.split('.')[1]);
  });

  it('roles: OWNER and ADMIN invite, only an OWNER invites an OWNER; MEMBER and VIEWER cannot; refusals are audited', async () => {
    const o = await createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] });
    for (const role of ['MEMBER', 'VIEWER']) expect(codes(await invite(by(o, role), newEmail())), role).toEqual(['FORBIDDEN']);
    const adminOwner = await invite(by(o, 'ADMIN'), newEmail(), 'OWNER');
    expect(codes(adminOwner)).toEqual(['FORBIDDEN']);
    expect((await invite(by(o, 'ADMIN'), newEmail(), 'ADMIN')).data?.inviteMember.role).toBe('ADMIN');
    expect((await invite(o.owner, newEmail(), 'OWNER')).data?.inviteMember.role).toBe('OWNER');
    const pending = (await gqlOk(app, InvitationsDocument, {}, { token: o.owner.token })).invitations;
    expect(pending.map((i) => i.role).sort()).toEqual(['ADMIN', 'OWNER']);
    expect(await activityOf(app, o.owner.token)).toContainEqual(expect.objectContaining({ action: 'invitation.create.denied', requestId: adminOwner.requestId }));
    for (const role of ['MEMBER', 'VIEWER']) expect(codes(await gql(app, InvitationsDocument, {}, { token: by(o, role).token })), role).toEqual(['FORBIDDEN']);
  });

  it('refuses an address that is a member here already, and a malformed one', async () => {
    for (const email of [by(org, 'VIEWER').email, by(org, 'VIEWER').email.toUpperCase(), 'not an email']) {
      expect(codes(await invite(org.owner, email)), email).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('a new invitation to the same address replaces the pending one: the old token stops working', async () => {
    const who = await person();
    const first = await invited(org.owner, who.user.email, 'MEMBER', 1);
    const second = await invited(org.owner, who.user.email.toUpperCase(), 'ADMIN', 2);
    expect(codes(await accept(first.token, who.accessToken))).toEqual(['BAD_USER_INPUT']);
    expect((await row(first.invitation.id))?.revoked_at).not.toBeNull();
    expect((await gqlOk(app, AcceptInvitationDocument, { token: second.token }, { token: who.accessToken })).acceptInvitation.organization?.id).toBe(org.id);
  });
});

describe('acceptInvitation', () => {
  it('someone without an account signs up (no organization), accepts, and acts in the organization with the invited role', async () => {
    const email = newEmail();
    const { invitation, token } = await invited(by(org, 'ADMIN'), email, 'VIEWER');
    const me = await person(email);
    expect(me.organization).toBeNull();
    const accepted = await gql(app, AcceptInvitationDocument, { token }, { token: me.accessToken });
    expect(accepted.errors, accepted.raw).toBeUndefined();
    const payload = accepted.data!.acceptInvitation;
    expect(payload.organization?.id).toBe(org.id);
    expect((await gqlOk(app, MeDocument, {}, { token: payload.accessToken })).me).toMatchObject({ role: 'VIEWER', organization: { id: org.id } });
    expect((await gqlOk(app, MembersDocument, {}, { token: org.owner.token })).members.map((m) => m.user.id)).toContain(me.user.id);
    expect((await gqlOk(app, InvitationsDocument, {}, { token: org.owner.token })).invitations.map((i) => i.id)).not.toContain(invitation.id);
    // The membership, the acceptance and its audit event were written by one transaction.
    const xmins = await withSql(app.databaseUrl, async (c) => ({
      membership: (await c.query('select xmin::text as x from membership where organization_id = $1 and user_id = $2', [org.id, me.user.id])).rows[0]?.x,
      invitation: (await c.query('select xmin::text as x from invitation where id = $1', [invitation.id])).rows[0]?.x,
      event: (await c.query("select xmin::text as x from activity_event where action = 'invitation.accept' and request_id = $1", [accepted.requestId])).rows[0]?.x,
    }));
    expect(xmins.membership).toBeDefined();
    expect(xmins).toEqual({ membership: xmins.membership, invitation: xmins.membership, event: xmins.membership });
    expect(await activityOf(app, org.owner.token)).toContainEqual(expect.objectContaining({ action: 'invitation.accept', targetId: invitation.id, actor: { id: me.user.id } }));
  });

  it('the invited address in another spelling (Unicode form, case) is the same person', async () => {
    const local = `ren\u00e9e-${randomBytes(4).toString('hex')}`;
    const me = await person(`${local}@example.test`);
    const { token } = await invited(org.owner, `${local.normalize('NFD').toUpperCase()}@Example.TEST`, 'MEMBER', 1);
    expect((await gqlOk(app, AcceptInvitationDocument, { token }, { token: me.accessToken })).acceptInvitation.organization?.id).toBe(org.id);
  });

  it('a member of another organization joins this one too and keeps the other', async () => {
    const other = await createOrg(app, { roles: ['OWNER', 'MEMBER'] });
    const user = by(other, 'MEMBER');
    const { token } = await invited(org.owner, user.email);
    const res = await gqlOk(app, AcceptInvitationDocument, { token }, { token: user.token });
    expect((await gqlOk(app, MeDocument, {}, { token: res.acceptInvitation.accessToken })).me.memberships.map((m) => m.organization.id).sort()).toEqual([org.id, other.id].sort());
    expect((await gqlOk(app, MeDocument, {}, { token: user.token })).me.organization?.id).toBe(other.id);
  });

  it('refuses the wrong user (FORBIDDEN, audited), without a sign-in, and leaves the invitation pending', async () => {
    const { invitation, token } = await invited(org.owner, newEmail());
    const stranger = await person();
    const wrong = await accept(token, stranger.accessToken);
    expect(codes(wrong)).toEqual(['FORBIDDEN']);
    expect(wrong.data).toBeNull();
    expect(codes(await accept(token))).toEqual(['UNAUTHENTICATED']);
    expect(await row(invitation.id)).toMatchObject({ accepted_at: null, revoked_at: null });
    expect((await gqlOk(app, MembersDocument, {}, { token: org.owner.token })).members.map((m) => m.user.id)).not.toContain(stranger.user.id);
    // The stranger belongs to no organization: the inviting one's trail does not name them.
    expect((await activityOf(app, org.owner.token)).filter((e) => e.actor?.id === stranger.user.id || e.requestId === wrong.requestId)).toEqual([]);
  });

  it("a member of another organization using someone else's token: the denial is in the caller's own trail, never in the inviting organization's", async () => {
    // The new-user trial: carol (Acme only) used the token meant for alice at Globex.
    const { invitation, token } = await invited(org.owner, newEmail());
    const acme = await createOrg(app, { roles: ['OWNER', 'MEMBER'] });
    const carol = by(acme, 'MEMBER');
    const wrong = await accept(token, carol.token);
    expect(codes(wrong)).toEqual(['FORBIDDEN']);
    const inviting = await activityOf(app, org.owner.token);
    expect(inviting.filter((e) => e.actor?.id === carol.id || e.requestId === wrong.requestId)).toEqual([]);
    expect(JSON.stringify(inviting)).not.toContain(carol.email);
    expect(await activityOf(app, acme.owner.token)).toContainEqual(
      expect.objectContaining({ action: 'invitation.accept.denied', targetId: invitation.id, actor: expect.objectContaining({ id: carol.id }), requestId: wrong.requestId }),
    );
  });

  it('works once; a revoked, an expired, a forged and a malformed token are refused alike', async () => {
    const refusedWith = async (token: string, accessToken: string) => {
      const res = await accept(token, accessToken);
      expect(codes(res), `${token}: ${res.raw}`).toEqual(['BAD_USER_INPUT']);
      return res.errors![0]!.message;
    };
    const used = await invited(org.owner, newEmail());
    const user = await person(used.invitation.email);
    await gqlOk(app, AcceptInvitationDocument, { token: used.token }, { token: user.accessToken });
    const messages = [await refusedWith(used.token, user.accessToken)];

    const revoked = await invited(org.owner, newEmail());
    expect((await gqlOk(app, RevokeInvitationDocument, { id: revoked.invitation.id }, { token: org.owner.token })).revokeInvitation).toBe(revoked.invitation.id);
    messages.push(await refusedWith(revoked.token, (await person(revoked.invitation.email)).accessToken));

    const expired = await invited(org.owner, newEmail());
    await withSql(app.databaseUrl, (c) => c.query("update invitation set expires_at = now() - interval '1 second' where id = $1", [expired.invitation.id]));
    const expiredUser = await person(expired.invitation.email);
    messages.push(await refusedWith(expired.token, expiredUser.accessToken));
    expect((await gqlOk(app, InvitationsDocument, {}, { token: org.owner.token })).invitations.map((i) => i.id)).not.toContain(expired.invitation.id);

    // Another organization's id with a real secret; an unknown organization; no organization.
    const other = await createOrg(app);
    const secret = expired.token.split('.')[1]!;
    for (const forged of [`${other.id}.${secret}`, `${randomUUID()}.${secret}`, `${org.id}.${randomBytes(32).toString('base64url')}`, secret, 'x', `${org.id}.${secret}.x`]) {
      messages.push(await refusedWith(forged, expiredUser.accessToken));
    }
    expect(new Set(messages).size).toBe(1);
    // A forged token names another organization but writes nothing there.
    expect((await activityOf(app, other.owner.token)).filter((e) => e.action.startsWith('invitation'))).toEqual([]);
  });
});

describe('revokeInvitation', () => {
  it('ADMIN revokes; an OWNER\'s invitation needs an OWNER; MEMBER cannot; unknown and other organizations\' ids are NOT_FOUND alike', async () => {
    const o = await createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER'] });
    const other = await createOrg(app);
    const member = await invited(o.owner, newEmail());
    const owner = await invited(o.owner, newEmail(), 'OWNER');
    const theirs = await invited(other.owner, newEmail());
    const revoke = (caller: TestUser, id: string) => gql(app, RevokeInvitationDocument, { id }, { token: caller.token });

    expect(codes(await revoke(by(o, 'MEMBER'), member.invitation.id))).toEqual(['FORBIDDEN']);
    expect(codes(await revoke(by(o, 'ADMIN'), owner.invitation.id))).toEqual(['FORBIDDEN']);
    const foreign = await revoke(o.owner, theirs.invitation.id);
    const unknown = await revoke(o.owner, randomUUID());
    expect(codes(foreign)).toEqual(['NOT_FOUND']);
    expect(shape(foreign)).toEqual(shape(unknown));
    expect(await row(theirs.invitation.id)).toMatchObject({ revoked_at: null, accepted_at: null });

    expect((await gqlOk(app, RevokeInvitationDocument, { id: member.invitation.id }, { token: by(o, 'ADMIN').token })).revokeInvitation).toBe(member.invitation.id);
    expect(codes(await revoke(o.owner, member.invitation.id))).toEqual(['BAD_USER_INPUT']); // no longer pending
    expect((await gqlOk(app, RevokeInvitationDocument, { id: owner.invitation.id }, { token: o.owner.token })).revokeInvitation).toBe(owner.invitation.id);
    const events = await activityOf(app, o.owner.token);
    expect(events.filter((e) => e.action === 'invitation.revoke').map((e) => e.targetId).sort()).toEqual([member.invitation.id, owner.invitation.id].sort());
    expect(events).toContainEqual(expect.objectContaining({ action: 'invitation.revoke.denied', targetId: theirs.invitation.id }));
    expect((await activityOf(app, other.owner.token)).some((e) => e.action.startsWith('invitation.revoke'))).toBe(false);
  });
});

describe('invitation emails per organization', () => {
  it('are limited per organization; another organization is not affected', async () => {
    const limited = await startApp({ INVITATIONS_MAX_PER_ORGANIZATION: '2' }, app.databaseUrl);
    try {
      const [a, b] = await Promise.all([createOrg(limited), createOrg(limited)]);
      const to = (o: TestOrg) => send(limited, InviteMemberDocument, { input: { email: newEmail(), role: 'MEMBER' } }, { token: o.owner.token });
      expectServed(await to(a), 'first');
      expectServed(await to(a), 'second');
      expectRateLimited(await to(a), 'third', 3600);
      expectServed(await to(b), 'another organization');
    } finally {
      await limited.close();
    }
  });
});
