import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArchiveDocumentDocument,
  DeleteDocumentDocument,
  DocumentsDocument,
  MembersDocument,
  RemoveMemberDocument,
  RestoreDocumentDocument,
  UpdateDocumentDocument,
} from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { activityOf, documentRow, leaks, tenantRows } from './support/documents-helpers.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { codes, gql, gqlOk, type GraphQLResponse } from './support/graphql.js';
import { inviteAndAccept } from './support/mail.js';
import { PLACEMENT_LAYOUTS } from './support/placement-layouts.js';

// Run for each layout: one database, and A on a dedicated placement with B on the shared one (issue 10).
describe.each(PLACEMENT_LAYOUTS)('$layout', ({ placements }) => {
  let app: TestApp;
  let a: TestOrg;
  let b: TestOrg;

  beforeAll(async () => {
    app = await startApp({}, undefined, { placements: [...placements] });
    [a, b] = await Promise.all([
      createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'], documents: 4 }),
      createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'], documents: 4 }),
    ]);
  });
  afterAll(() => app?.close());

  /** The parts of an error response that must not tell B's id from an unknown one. */
  const shape = (res: GraphQLResponse<unknown>) => ({
    status: res.status,
    data: res.data,
    errors: res.errors?.map(({ message, path, extensions }) => ({ message, path, code: extensions?.code })),
  });

  const documentMutations = [
    { name: 'updateDocument', action: 'document.update', call: (id: string) => gql(app, UpdateDocumentDocument, { id, input: { title: 'pwned', body: null } }, { token: a.owner.token }) },
    { name: 'archiveDocument', action: 'document.archive', call: (id: string) => gql(app, ArchiveDocumentDocument, { id }, { token: a.owner.token }) },
    { name: 'restoreDocument', action: 'document.restore', call: (id: string) => gql(app, RestoreDocumentDocument, { id }, { token: a.owner.token }) },
    { name: 'deleteDocument', action: 'document.delete', call: (id: string) => gql(app, DeleteDocumentDocument, { id }, { token: a.owner.token }) },
  ];

  describe("A's OWNER with B's ids", () => {
    it.each(documentMutations)("$name: B's id and a random id both give NOT_FOUND, alike, and B's row is untouched", async ({ call, action }) => {
      const victim = b.documents[0]!.id;
      const unknown = randomUUID();
      const rowBefore = await documentRow(app, victim);
      const bEventsBefore = await tenantRows(app, 'activity_event', b.id);

      const foreign = await call(victim);
      const random = await call(unknown);
      expect(codes(foreign)).toEqual(['NOT_FOUND']);
      expect(codes(random)).toEqual(['NOT_FOUND']);
      expect(foreign.errors![0]!.message).toBe(random.errors![0]!.message);
      expect(shape(foreign)).toEqual(shape(random));
      expect(leaks(foreign.raw)).toEqual([]);
      expect(foreign.raw).not.toContain(victim);

      expect(rowBefore).toBeDefined();
      expect(await documentRow(app, victim)).toEqual(rowBefore);
      expect(await tenantRows(app, 'activity_event', b.id)).toEqual(bEventsBefore);

      // Both refusals are on A's trail, each under the request that caused it; none on B's.
      const events = await activityOf(app, a.owner.token);
      for (const [res, id] of [[foreign, victim], [random, unknown]] as const) {
        expect(events).toContainEqual(
          expect.objectContaining({ action: `${action}.denied`, targetType: 'Document', targetId: id, requestId: res.requestId, actor: { id: a.owner.id } }),
        );
      }
      expect(events.some((e) => e.action === action)).toBe(false);
      const bEvents = await activityOf(app, b.owner.token);
      expect(bEvents.some((e) => e.action.startsWith(action) || e.targetId === victim)).toBe(false);
    });

    it("removeMember with a user of B only: NOT_FOUND like an unknown user, B's membership intact", async () => {
      const bOnly = b.users.find((u) => u.role === 'ADMIN')!;
      const before = await tenantRows(app, 'membership', b.id);
      const foreign = await gql(app, RemoveMemberDocument, { userId: bOnly.id }, { token: a.owner.token });
      const random = await gql(app, RemoveMemberDocument, { userId: randomUUID() }, { token: a.owner.token });
      expect(codes(foreign)).toEqual(['NOT_FOUND']);
      expect(shape(foreign)).toEqual(shape(random));
      expect(await tenantRows(app, 'membership', b.id)).toEqual(before);
      expect((await gqlOk(app, MembersDocument, {}, { token: bOnly.token })).members.map((m) => m.user.id)).toContain(bOnly.id);

      const events = await activityOf(app, a.owner.token);
      expect(events).toContainEqual(expect.objectContaining({ action: 'member.remove.denied', targetId: bOnly.id, requestId: foreign.requestId }));
      expect((await activityOf(app, b.owner.token)).some((e) => e.action.startsWith('member.remove'))).toBe(false);
    });

    it("an invitation of a B user's email, accepted, adds them to A only; B's memberships and trail are untouched", async () => {
      const bUser = b.users.find((u) => u.role === 'MEMBER')!;
      const bMembers = await tenantRows(app, 'membership', b.id);
      const bEvents = await tenantRows(app, 'activity_event', b.id);
      const joined = await inviteAndAccept(app, a.owner.token, bUser, 'VIEWER');
      expect(joined).toMatchObject({ user: { id: bUser.id, email: bUser.email }, organization: { id: a.id } });

      expect(await tenantRows(app, 'membership', b.id)).toEqual(bMembers);
      expect(await tenantRows(app, 'activity_event', b.id)).toEqual(bEvents);
      const inA = (await tenantRows(app, 'membership', a.id)).find((m) => m.user_id === bUser.id);
      expect(inA).toMatchObject({ organization_id: a.id, role: 'VIEWER' });
      // Their B token still acts in B, with B's role.
      const bList = await gqlOk(app, MembersDocument, {}, { token: bUser.token });
      expect(bList.members.find((m) => m.user.id === bUser.id)).toMatchObject({ role: 'MEMBER', organization: { id: b.id } });
    });

    it("documents(after: a cursor from B's list) returns only A's documents", async () => {
      const bPage = await gqlOk(app, DocumentsDocument, { first: 1 }, { token: b.owner.token });
      const after = bPage.documents.pageInfo.endCursor!;
      const res = await gqlOk(app, DocumentsDocument, { first: 100, after }, { token: a.owner.token });
      const ids = res.documents.edges.map((e) => e.node.id);
      const aIds = new Set(a.documents.map((d) => d.id));
      const bIds = new Set(b.documents.map((d) => d.id));
      expect(ids.length).toBeGreaterThan(0); // A's older documents sort after B's newest one
      expect(ids.every((id) => aIds.has(id) && !bIds.has(id))).toBe(true);
      expect(JSON.stringify(res)).not.toMatch(new RegExp(b.documents[0]!.title.split(' of ')[1]!));
    });
  });
});
