import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArchiveDocumentDocument,
  CreateDocumentDocument,
  DeleteDocumentDocument,
  DocumentDocument,
  DocumentsDocument,
  type DocumentsQuery,
  RestoreDocumentDocument,
  UpdateDocumentDocument,
} from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { documentRow, leaks, sleep } from './support/documents-helpers.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { codes, gql, gqlOk } from './support/graphql.js';

let app: TestApp;
let org: TestOrg;
let big: TestOrg;
const user = (role: string) => org.users.find((u) => u.role === role)!;
const b64 = (s: string) => Buffer.from(s).toString('base64url');

beforeAll(async () => {
  app = await startApp();
  [org, big] = await Promise.all([
    createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'], documents: 2 }),
    createOrg(app, { documents: 45 }),
  ]);
});
afterAll(() => app?.close());

describe('document lifecycle', () => {
  it('creates, updates, archives, restores and deletes', async () => {
    const token = user('MEMBER').token;
    const { createDocument: created } = await gqlOk(app, CreateDocumentDocument, { input: { title: '  Plan  ', body: 'first' } }, { token });
    expect(created).toMatchObject({ title: 'Plan', body: 'first', archivedAt: null, createdBy: { id: user('MEMBER').id } });
    expect(Math.abs(Date.parse(created.updatedAt) - Date.parse(created.createdAt))).toBeLessThan(1000);
    expect(await documentRow(app, created.id)).toMatchObject({ organization_id: org.id, title: 'Plan', created_by_id: user('MEMBER').id });

    await sleep(5);
    const { updateDocument: renamed } = await gqlOk(app, UpdateDocumentDocument, { id: created.id, input: { title: 'Plan B' } }, { token });
    expect(renamed).toMatchObject({ id: created.id, title: 'Plan B', body: 'first', createdAt: created.createdAt });
    expect(Date.parse(renamed.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
    const { updateDocument: cleared } = await gqlOk(app, UpdateDocumentDocument, { id: created.id, input: { body: null } }, { token });
    expect(cleared).toMatchObject({ title: 'Plan B', body: null });

    const { archiveDocument: archived } = await gqlOk(app, ArchiveDocumentDocument, { id: created.id }, { token });
    expect(archived.archivedAt).not.toBeNull();
    const visible = async (includeArchived: boolean) =>
      (await gqlOk(app, DocumentsDocument, { first: 100, filter: { includeArchived } }, { token })).documents.edges.map((e) => e.node.id);
    expect(await visible(false)).not.toContain(created.id);
    expect(await visible(true)).toContain(created.id);
    expect((await gqlOk(app, DocumentDocument, { id: created.id }, { token })).document?.archivedAt).toBe(archived.archivedAt);

    const { restoreDocument: restored } = await gqlOk(app, RestoreDocumentDocument, { id: created.id }, { token });
    expect(restored.archivedAt).toBeNull();
    expect(await visible(false)).toContain(created.id);

    expect((await gqlOk(app, DeleteDocumentDocument, { id: created.id }, { token })).deleteDocument).toBe(created.id);
    expect((await gqlOk(app, DocumentDocument, { id: created.id }, { token })).document).toBeNull();
    expect(await documentRow(app, created.id)).toBeUndefined();
  });

  it('titleContains is case-insensitive and treats % and _ literally', async () => {
    const t = await createOrg(app, { roles: ['OWNER'] });
    for (const title of ['100% done', '100 percent', 'a_b', 'axb', 'UPPER case'])
      await gqlOk(app, CreateDocumentDocument, { input: { title } }, { token: t.owner.token });
    const search = async (titleContains: string) =>
      (await gqlOk(app, DocumentsDocument, { filter: { titleContains } }, { token: t.owner.token })).documents.edges.map((e) => e.node.title).sort();
    expect(await search('upper CASE')).toEqual(['UPPER case']);
    expect(await search('%')).toEqual(['100% done']);
    expect(await search('_')).toEqual(['a_b']);
    expect(await search('0%')).toEqual(['100% done']);
    expect(await search('100')).toEqual(['100 percent', '100% done']);
    expect(await search('nothing like it')).toEqual([]);
  });
});

describe('pagination', () => {
  it('walks 45 documents in pages of 20, 20 and 5, newest first, without duplicates or gaps', async () => {
    const pages: { ids: string[]; hasNextPage: boolean }[] = [];
    let after: string | null = null;
    do {
      const res: DocumentsQuery = await gqlOk(app, DocumentsDocument, { first: 20, after }, { token: big.owner.token });
      const { edges, pageInfo } = res.documents;
      expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
      pages.push({ ids: edges.map((e) => e.node.id), hasNextPage: pageInfo.hasNextPage });
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    } while (after && pages.length < 5);
    expect(pages.map((p) => p.ids.length)).toEqual([20, 20, 5]);
    expect(pages.map((p) => p.hasNextPage)).toEqual([true, true, false]);
    // The factory makes document i older than document i + 1: newest first is the reverse.
    expect(pages.flatMap((p) => p.ids)).toEqual(big.documents.map((d) => d.id).reverse());
  });

  it.each([0, 101, -1])('first: %i is BAD_USER_INPUT', async (first) => {
    const res = await gql(app, DocumentsDocument, { first }, { token: big.owner.token });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    // Refused before execution (HTTP 400, as a malformed request): no `data` at all (GraphQL over HTTP).
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
  });

  it.each([
    ['random text', 'definitely not a cursor!'],
    ['base64 of [1]', b64('[1]')],
    ['base64 of ["x","y"]', b64('["x","y"]')],
    ['base64 of a date and a non-UUID', b64('["2026-01-01T00:00:00.000Z","1 OR 1=1"]')],
    ['an overlong cursor', 'A'.repeat(5000)],
  ])('a garbage cursor (%s) is BAD_USER_INPUT, not INTERNAL_SERVER_ERROR', async (_name, after) => {
    const res = await gql(app, DocumentsDocument, { first: 5, after }, { token: big.owner.token });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(leaks(res.raw)).toEqual([]);
  });
});

describe('roles', () => {
  it('a VIEWER reads but cannot create, and nothing is stored', async () => {
    const viewer = user('VIEWER');
    await gqlOk(app, DocumentDocument, { id: org.documents[0]!.id }, { token: viewer.token });
    const res = await gql(app, CreateDocumentDocument, { input: { title: 'viewer wrote this' } }, { token: viewer.token });
    expect(codes(res)).toEqual(['FORBIDDEN']);
    const stored = await withSql(app.databaseUrl, (c) => c.query("select 1 from document where title = 'viewer wrote this'"));
    expect(stored.rowCount).toBe(0);
    for (const op of [
      gql(app, UpdateDocumentDocument, { id: org.documents[0]!.id, input: { title: 'x' } }, { token: viewer.token }),
      gql(app, ArchiveDocumentDocument, { id: org.documents[0]!.id }, { token: viewer.token }),
    ])
      expect(codes(await op)).toEqual(['FORBIDDEN']);
  });

  it('a MEMBER deletes their own document but not the OWNER\'s; an ADMIN deletes any', async () => {
    const member = user('MEMBER');
    const ownersDoc = org.documents[0]!; // the factory makes the OWNER the author
    const before = await documentRow(app, ownersDoc.id);
    const denied = await gql(app, DeleteDocumentDocument, { id: ownersDoc.id }, { token: member.token });
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    expect(await documentRow(app, ownersDoc.id)).toEqual(before);

    const own = await gqlOk(app, CreateDocumentDocument, { input: { title: 'mine' } }, { token: member.token });
    expect((await gqlOk(app, DeleteDocumentDocument, { id: own.createDocument.id }, { token: member.token })).deleteDocument).toBe(own.createDocument.id);

    expect((await gqlOk(app, DeleteDocumentDocument, { id: ownersDoc.id }, { token: user('ADMIN').token })).deleteDocument).toBe(ownersDoc.id);
    expect(await documentRow(app, ownersDoc.id)).toBeUndefined();
  });
});
