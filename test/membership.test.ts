import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDocumentDocument,
  DocumentDocument,
  DocumentsDocument,
  MembersDocument,
  RemoveMemberDocument,
} from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { documentRow, tenantRows } from './support/documents-helpers.js';
import { createOrg, type TestUser } from './support/factories.js';
import { codes, gql, gqlOk } from './support/graphql.js';

let app: TestApp;

const roles = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const;
const memberIds = async (token: string) => (await gqlOk(app, MembersDocument, {}, { token })).members.map((m) => m.user.id);
const remove = (by: TestUser, userId: string) => gql(app, RemoveMemberDocument, { userId }, { token: by.token });

beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

describe('members', () => {
  it('lists the organization\'s members, oldest first, with their roles', async () => {
    const org = await createOrg(app, { roles: [...roles] });
    for (const u of org.users) {
      const { members } = await gqlOk(app, MembersDocument, {}, { token: u.token });
      expect(members.map((m) => [m.user.id, m.role]).sort()).toEqual(org.users.map((x) => [x.id, x.role]).sort());
      const times = members.map((m) => Date.parse(m.createdAt));
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(members.every((m) => m.organization.id === org.id)).toBe(true);
    }
  });
});

// Adding members: invitation.test.ts (inviteMember, acceptInvitation).

describe('removeMember', () => {
  it('OWNER and ADMIN remove members; MEMBER and VIEWER cannot; an ADMIN cannot remove an OWNER', async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'OWNER', 'ADMIN', 'MEMBER', 'MEMBER', 'VIEWER'] });
    const [owner, owner2, admin, member, member2, viewer] = org.users as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
    expect(codes(await remove(member, viewer.id))).toEqual(['FORBIDDEN']);
    expect(codes(await remove(viewer, member.id))).toEqual(['FORBIDDEN']);
    expect(codes(await remove(admin, owner2.id))).toEqual(['FORBIDDEN']);
    expect(await memberIds(owner.token)).toHaveLength(6);

    expect((await gqlOk(app, RemoveMemberDocument, { userId: member.id }, { token: admin.token })).removeMember).toBe(member.id);
    expect((await gqlOk(app, RemoveMemberDocument, { userId: member2.id }, { token: owner.token })).removeMember).toBe(member2.id);
    expect((await gqlOk(app, RemoveMemberDocument, { userId: owner2.id }, { token: owner.token })).removeMember).toBe(owner2.id);
    expect(await memberIds(owner.token)).toEqual(expect.arrayContaining([owner.id, admin.id, viewer.id]));
    expect(await memberIds(owner.token)).toHaveLength(3);
    // A removed member's token no longer opens the organization.
    expect(codes(await gql(app, DocumentsDocument, {}, { token: member.token }))).toEqual(['FORBIDDEN']);
  });

  it('anyone may remove themselves, but the last OWNER stays', async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'ADMIN', 'VIEWER'] });
    const [owner, admin, viewer] = org.users as [TestUser, TestUser, TestUser];
    expect((await gqlOk(app, RemoveMemberDocument, { userId: viewer.id }, { token: viewer.token })).removeMember).toBe(viewer.id);
    expect(codes(await gql(app, MembersDocument, {}, { token: viewer.token }))).toEqual(['FORBIDDEN']);

    expect(codes(await remove(owner, owner.id))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await remove(admin, owner.id))).toEqual(['FORBIDDEN']);
    expect((await tenantRows(app, 'membership', org.id)).map((m) => [m.user_id, m.role])).toEqual(
      [[owner.id, 'OWNER'], [admin.id, 'ADMIN']].sort(([x], [y]) => (x! < y! ? -1 : 1)),
    );
    expect((await gqlOk(app, RemoveMemberDocument, { userId: admin.id }, { token: admin.token })).removeMember).toBe(admin.id);
    expect(await memberIds(owner.token)).toEqual([owner.id]);
  });

  it('a removed author\'s documents stay, with createdBy null', async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'MEMBER'] });
    const author = org.users[1]!;
    const { createDocument: doc } = await gqlOk(app, CreateDocumentDocument, { input: { title: 'Left behind', body: 'still here' } }, { token: author.token });
    expect(doc.createdBy?.id).toBe(author.id);

    await gqlOk(app, RemoveMemberDocument, { userId: author.id }, { token: org.owner.token });
    const { document } = await gqlOk(app, DocumentDocument, { id: doc.id }, { token: org.owner.token });
    expect(document).toMatchObject({ id: doc.id, title: 'Left behind', body: 'still here', createdBy: null });
    expect(await documentRow(app, doc.id)).toMatchObject({ organization_id: org.id, created_by_id: null, title: 'Left behind' });
    // The user account itself is untouched.
    expect((await gqlOk(app, MembersDocument, {}, { token: org.owner.token })).members.map((m) => m.user.id)).toEqual([org.owner.id]);
  });
});
