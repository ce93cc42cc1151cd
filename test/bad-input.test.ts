import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArchiveDocumentDocument,
  CreateDocumentDocument,
  DeleteDocumentDocument,
  DocumentDocument,
  DocumentsDocument,
  RemoveMemberDocument,
  RestoreDocumentDocument,
  UpdateDocumentDocument,
} from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { leaks, tenantRows } from './support/documents-helpers.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { codes, gql, gqlOk, postRaw } from './support/graphql.js';

let app: TestApp;
let org: TestOrg;
let auth: Record<string, string>;
const seen: { name: string; raw: string }[] = [];

/** Every response goes through here: no stack frames, SQL, ORM or driver names, file paths. */
function clean<T extends { raw: string }>(name: string, res: T): T {
  seen.push({ name, raw: res.raw });
  expect(leaks(res.raw), `${name}: ${res.raw.slice(0, 500)}`).toEqual([]);
  return res;
}
const post = async (name: string, body: string) => clean(name, await postRaw(app, body, auth));
const docCount = async () => (await tenantRows(app, 'document', org.id)).length;

beforeAll(async () => {
  app = await startApp();
  org = await createOrg(app, { documents: 2 });
  auth = { authorization: `Bearer ${org.owner.token}` };
});
afterAll(() => app?.close());

describe('malformed requests', () => {
  it('malformed JSON: 400 with a GraphQL-shaped JSON error', async () => {
    for (const body of ['{"query": "{', 'not json at all', '{"query": "{ __typename }",}']) {
      const res = await post(`malformed ${body}`, body);
      expect(res.status).toBe(400);
      const parsed = JSON.parse(res.raw);
      expect(parsed.errors?.[0]).toMatchObject({ message: expect.any(String), extensions: { code: 'BAD_REQUEST' } });
      expect(res.raw).not.toMatch(/FST_ERR/);
    }
  });

  it('wrong variable types are BAD_USER_INPUT', async () => {
    const list = await post('first: "abc"', JSON.stringify({ query: print(DocumentsDocument), variables: { first: 'abc' } }));
    const input = await post('input: string', JSON.stringify({ query: print(CreateDocumentDocument), variables: { input: 'title' } }));
    const missing = await post('missing id', JSON.stringify({ query: print(DocumentDocument), variables: {} }));
    for (const res of [list, input, missing]) {
      expect([200, 400]).toContain(res.status);
      expect(JSON.parse(res.raw).errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('an unknown field is GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await post('unknown field', JSON.stringify({ query: '{ documents { edges { node { id passwordHash } } } }' }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.raw).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('a 2 MB body is refused with 413 and a GraphQL-shaped JSON error', async () => {
    const body = JSON.stringify({ query: print(CreateDocumentDocument), variables: { input: { title: 'big', body: 'b'.repeat(2 * 1024 * 1024) } } });
    const res = await post('2 MB', body);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.raw).errors?.[0]).toMatchObject({ message: expect.any(String), extensions: { code: 'BAD_REQUEST' } });
    expect(await docCount()).toBe(2);
  });

  it('GET /graphql without a CSRF-safe header is refused by Apollo before execution', async () => {
    const url = `${app.graphqlUrl}?query=${encodeURIComponent('{ documents { edges { node { title } } } }')}`;
    const res = await fetch(url, { headers: auth });
    const raw = clean('csrf', { raw: await res.text() }).raw;
    expect(res.status).toBe(400);
    expect(raw).toMatch(/Cross-Site Request Forgery/);
    expect(raw).not.toContain(org.documents[0]!.title);
  });
});

describe('invalid values', () => {
  const ids = ['1', "' OR 1=1 --", 'x'.repeat(10_000), '00000000-0000-4000-8000-00000000000g', ''];
  const byId = [
    ['document', (id: string) => gql(app, DocumentDocument, { id }, { token: org.owner.token })],
    ['updateDocument', (id: string) => gql(app, UpdateDocumentDocument, { id, input: { title: 'x' } }, { token: org.owner.token })],
    ['archiveDocument', (id: string) => gql(app, ArchiveDocumentDocument, { id }, { token: org.owner.token })],
    ['restoreDocument', (id: string) => gql(app, RestoreDocumentDocument, { id }, { token: org.owner.token })],
    ['deleteDocument', (id: string) => gql(app, DeleteDocumentDocument, { id }, { token: org.owner.token })],
    ['removeMember', (userId: string) => gql(app, RemoveMemberDocument, { userId }, { token: org.owner.token })],
  ] as const;

  it.each(byId)('%s with a malformed id is BAD_USER_INPUT and echoes nothing back', async (name, call) => {
    for (const id of ids) {
      const res = clean(`${name}(${id.slice(0, 20)})`, await call(id));
      expect([id.slice(0, 20), codes(res)]).toEqual([id.slice(0, 20), ['BAD_USER_INPUT']]);
      if (id.length > 1) expect(res.raw).not.toContain(id);
    }
  });

  it('a 1 MB title is refused and nothing is stored', async () => {
    const res = clean('1 MB title', await gql(app, CreateDocumentDocument, { input: { title: 't'.repeat(1_000_000) } }, { token: org.owner.token }));
    expect(res.status === 413 || codes(res).join() === 'BAD_USER_INPUT').toBe(true);
    expect(res.raw.length).toBeLessThan(2000);
    expect(await docCount()).toBe(2);
  });

  it('length limits: title 1..200, body up to 100,000', async () => {
    const create = (title: string, body?: string) => gql(app, CreateDocumentDocument, { input: { title, body } }, { token: org.owner.token });
    for (const [title, body] of [['', undefined], ['    ', undefined], ['t'.repeat(201), undefined], ['ok', 'b'.repeat(100_001)]] as const)
      expect(codes(clean('limits', await create(title, body)))).toEqual(['BAD_USER_INPUT']);
    expect(await docCount()).toBe(2);
    const max = await gqlOk(app, CreateDocumentDocument, { input: { title: 't'.repeat(200), body: 'b'.repeat(100_000) } }, { token: org.owner.token });
    expect([max.createDocument.title.length, max.createDocument.body?.length]).toEqual([200, 100_000]);
  });

  it('control characters in a title or body are BAD_USER_INPUT and nothing is stored', async () => {
    const before = await tenantRows(app, 'document', org.id);
    for (const bad of ['a\u0000b', 'bell\u0007', '\u001b[31mred', 'del\u007f', 'line\nbreak']) {
      const res = clean('control title', await gql(app, CreateDocumentDocument, { input: { title: bad } }, { token: org.owner.token }));
      expect([JSON.stringify(bad), codes(res)]).toEqual([JSON.stringify(bad), ['BAD_USER_INPUT']]);
    }
    const inBody = await gql(app, UpdateDocumentDocument, { id: org.documents[0]!.id, input: { body: 'x\u0000y' } }, { token: org.owner.token });
    expect(codes(clean('control body', inBody))).toEqual(['BAD_USER_INPUT']);
    expect(await tenantRows(app, 'document', org.id)).toEqual(before);
  });
});

describe('afterwards', () => {
  it('the server is still healthy and serving', async () => {
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    const { documents } = await gqlOk(app, DocumentsDocument, {}, { token: org.owner.token });
    expect(documents.edges.length).toBeGreaterThanOrEqual(2);
    expect(seen.length).toBeGreaterThan(30);
    expect(seen.filter((s) => leaks(s.raw).length > 0).map((s) => s.name)).toEqual([]);
  });
});
