import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AddCommentDocument,
  DocumentCommentsDocument,
  DocumentsWithCommentsDocument,
  RemoveMemberDocument,
} from '../src/client/generated/graphql.js';
import { Comment } from '../src/db/entities/index.js';
import { forkForSystem } from '../src/tenancy/tenant-entity-manager.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { activityOf, leaks } from './support/documents-helpers.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { codes, gql, gqlOk, type GraphQLResponse } from './support/graphql.js';
import { snapshotOrg } from './support/guards-helpers.js';
import { statementsDuring } from './support/statements.js';

let app: TestApp;
let a: TestOrg;
let b: TestOrg;
const member = (org: TestOrg, role: string) => org.users.find((u) => u.role === role)!;

beforeAll(async () => {
  app = await startApp();
  [a, b] = await Promise.all([
    createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'], documents: 4 }),
    createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 2 }),
  ]);
});
afterAll(() => app?.close());

/** `n` comments on a document, written straight to the database a second apart (oldest first). */
async function seedComments(org: TestOrg, documentId: string, n: number, authorId = org.owner.id): Promise<string[]> {
  const em = forkForSystem(app.orm.em, 'test factory');
  const start = Date.now() - n * 1000;
  const rows = Array.from({ length: n }, (_, i) =>
    em.create(Comment, { id: randomUUID(), organizationId: org.id, documentId, authorId, body: `comment ${i} of ${org.name}`, createdAt: new Date(start + i * 1000) }),
  );
  await em.flush();
  return rows.map((r) => r.id);
}

const commentRows = (documentId: string) =>
  withSql(app.databaseUrl, async (c) => (await c.query('select * from comment where document_id = $1 order by created_at, id', [documentId])).rows);

const commentsOf = async (token: string, id: string, first?: number) =>
  (await gqlOk(app, DocumentCommentsDocument, { id, first }, { token })).document?.comments;

/** The parts of a response that must not tell another organization's id from an unknown one. */
const shape = (res: GraphQLResponse<unknown>) => ({
  status: res.status,
  data: res.data,
  errors: res.errors?.map(({ message, path, extensions }) => ({ message, path, code: extensions?.code })),
});

describe('adding and listing', () => {
  it('a MEMBER comments; the comment lists under the document with its author, stored in the organization and audited', async () => {
    const author = member(a, 'MEMBER');
    const doc = a.documents[0]!.id;
    const res = await gql(app, AddCommentDocument, { documentId: doc, body: '  Looks good.\nShip it.  ' }, { token: author.token });
    expect(codes(res)).toEqual([]);
    const { addComment: added } = res.data!;
    // Stored as sent: a comment may span lines and keep its spacing.
    expect(added).toMatchObject({ body: '  Looks good.\nShip it.  ', author: { id: author.id } });
    expect(Math.abs(Date.parse(added.createdAt) - Date.now())).toBeLessThan(60_000);

    expect(await commentsOf(author.token, doc)).toEqual([added]);
    expect(await commentRows(doc)).toEqual([expect.objectContaining({ id: added.id, organization_id: a.id, document_id: doc, author_id: author.id })]);
    expect(await activityOf(app, a.owner.token)).toContainEqual(
      expect.objectContaining({ action: 'comment.create', targetType: 'Document', targetId: doc, requestId: res.requestId, actor: { id: author.id } }),
    );
  });

  it('lists oldest first, at most `first` (default 10); aliases with different `first` agree', async () => {
    const doc = a.documents[1]!.id;
    const ids = await seedComments(a, doc, 12);
    const token = a.owner.token;
    expect((await commentsOf(token, doc))!.map((c) => c.id)).toEqual(ids.slice(0, 10));
    expect((await commentsOf(token, doc, 3))!.map((c) => c.id)).toEqual(ids.slice(0, 3));
    expect((await commentsOf(token, doc, 100))!.map((c) => c.id)).toEqual(ids);

    const both = await gql<{ document: { one: { id: string }[]; five: { id: string }[] } }, { id: string }>(
      app,
      'query ($id: ID!) { document(id: $id) { one: comments(first: 1) { id } five: comments(first: 5) { id } } }',
      { id: doc },
      { token },
    );
    expect(both.data?.document).toEqual({ one: ids.slice(0, 1).map((id) => ({ id })), five: ids.slice(0, 5).map((id) => ({ id })) });
  });

  it.each([0, 101, -1])('comments(first: %i) is BAD_USER_INPUT', async (first) => {
    const res = await gql(app, DocumentCommentsDocument, { id: a.documents[1]!.id, first }, { token: a.owner.token });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.data?.document ?? null).toBeNull();
  });

  it.each([
    ['an empty body', { body: '' }],
    ['a body over 10,000 characters', { body: 'x'.repeat(10_001) }],
    ['control characters', { body: 'bell \u0007' }],
    ['a malformed document id', { documentId: 'not-a-uuid' }],
  ])('%s is BAD_USER_INPUT and stores nothing', async (_name, input) => {
    const doc = a.documents[2]!.id;
    const res = await gql(app, AddCommentDocument, { documentId: doc, body: 'ok', ...input }, { token: a.owner.token });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(await commentRows(doc)).toEqual([]);
  });

  it('a body of exactly 10,000 characters is accepted', async () => {
    const res = await gqlOk(app, AddCommentDocument, { documentId: a.documents[3]!.id, body: 'y'.repeat(10_000) }, { token: a.owner.token });
    expect(res.addComment.body).toHaveLength(10_000);
  });
});

describe('roles', () => {
  it('a VIEWER reads comments but cannot add one (FORBIDDEN), and nothing is stored', async () => {
    const viewer = member(a, 'VIEWER');
    const doc = a.documents[0]!.id;
    const before = await commentRows(doc);
    expect(await commentsOf(viewer.token, doc)).toHaveLength(before.length);
    const res = await gql(app, AddCommentDocument, { documentId: doc, body: 'viewer wrote this' }, { token: viewer.token });
    expect(codes(res)).toEqual(['FORBIDDEN']);
    expect(await commentRows(doc)).toEqual(before);
  });
});

describe('isolation', () => {
  it("B cannot comment on A's document: NOT_FOUND exactly like a random id, and nothing of A or B changes", async () => {
    const victim = a.documents[0]!.id;
    const unknown = randomUUID();
    const [aBefore, bBefore] = await Promise.all([commentRows(victim), snapshotOrg(app, b.id)]);

    const foreign = await gql(app, AddCommentDocument, { documentId: victim, body: 'planted by B' }, { token: b.owner.token });
    const random = await gql(app, AddCommentDocument, { documentId: unknown, body: 'planted by B' }, { token: b.owner.token });
    expect(codes(foreign)).toEqual(['NOT_FOUND']);
    expect(shape(foreign)).toEqual(shape(random));
    expect(leaks(foreign.raw)).toEqual([]);

    expect(await commentRows(victim)).toEqual(aBefore);
    // B's own trail gains its two refusals (comment.create.denied); nothing else of B changes.
    const bAfter = await snapshotOrg(app, b.id);
    expect({ ...bAfter, activity_event: [] }).toEqual({ ...bBefore, activity_event: [] });
    expect(bAfter.activity_event).toHaveLength(bBefore.activity_event.length + 2);
    const denied = (await activityOf(app, b.owner.token)).filter((e) => e.action === 'comment.create.denied').map((e) => e.targetId);
    expect(denied).toEqual(expect.arrayContaining([victim, unknown]));
  });

  it("B never sees A's comments: not through A's document id, not in its own lists", async () => {
    const doc = a.documents[1]!.id;
    const [secret] = await seedComments(a, doc, 1);
    const byId = await gql(app, DocumentCommentsDocument, { id: doc }, { token: b.owner.token });
    expect(byId.data).toEqual({ document: null });
    const list = await gql(app, DocumentsWithCommentsDocument, { first: 20, commentsFirst: 20 }, { token: b.owner.token });
    expect(list.errors).toBeUndefined();
    for (const res of [byId, list]) {
      expect(res.raw).not.toContain(secret);
      expect(res.raw).not.toContain(a.name);
    }
  });

  it("the database refuses a comment naming another organization's document or member", async () => {
    const insert = (documentId: string, authorId: string | null) =>
      withSql(app.databaseUrl, (c) =>
        c.query(`insert into comment (id, organization_id, document_id, author_id, body, created_at) values ($1, $2, $3, $4, 'x', now())`, [
          randomUUID(),
          b.id,
          documentId,
          authorId,
        ]),
      );
    await expect(insert(a.documents[0]!.id, null)).rejects.toThrow(/comment_document_fkey/);
    await expect(insert(b.documents[0]!.id, a.owner.id)).rejects.toThrow(/comment_author_membership_fkey/);
  });
});

describe('authors who leave', () => {
  it('the comment stays, with author null, once its author is removed from the organization', async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 1 });
    const leaving = member(org, 'MEMBER');
    const doc = org.documents[0]!.id;
    const { addComment: added } = await gqlOk(app, AddCommentDocument, { documentId: doc, body: 'before I go' }, { token: leaving.token });
    expect(added.author).toEqual({ id: leaving.id, name: expect.any(String) });

    await gqlOk(app, RemoveMemberDocument, { userId: leaving.id }, { token: org.owner.token });
    expect(await commentsOf(org.owner.token, doc)).toEqual([{ ...added, author: null }]);
    expect(await commentRows(doc)).toEqual([expect.objectContaining({ id: added.id, author_id: null, body: 'before I go' })]);
  });
});

describe('no N+1', () => {
  it('documents { comments { author } } costs the same statements for 10 and 50 documents, one of them for comments', async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 50 });
    const em = forkForSystem(app.orm.em, 'test factory');
    for (const [i, d] of org.documents.entries()) {
      for (const [j, u] of org.users.entries()) {
        em.create(Comment, { organizationId: org.id, documentId: d.id, authorId: u.id, body: `c${j} on ${i}`, createdAt: new Date(Date.now() - 1000 + j) });
      }
    }
    await em.flush();

    const page = async (first: number) => {
      const data = await gqlOk(app, DocumentsWithCommentsDocument, { first }, { token: org.owner.token }); // warms the pool
      expect(data.documents.edges).toHaveLength(first);
      for (const { node } of data.documents.edges) expect(node.comments.map((c) => c.author?.id)).toEqual(org.users.map((u) => u.id));
      return statementsDuring(() => gqlOk(app, DocumentsWithCommentsDocument, { first }, { token: org.owner.token }));
    };
    const ten = await page(10);
    const fifty = await page(50);
    console.info(`statements per request: documents(first: 10) ${ten.length}, documents(first: 50) ${fifty.length}`);
    expect(fifty.length, `first: 10\n${ten.join('\n')}\n\nfirst: 50\n${fifty.join('\n')}`).toBe(ten.length);
    for (const statements of [ten, fifty]) expect(statements.filter((s) => /\bfrom "?comment"?\b/i.test(s))).toHaveLength(1);
  });
});
