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
import { cursorOf, deepList, FORBIDDEN_CHARACTERS, forgedCursors, logCapture } from './support/input-sweep-helpers.js';

let app: TestApp;
let org: TestOrg;
let auth: Record<string, string>;
const seen: { name: string; raw: string }[] = [];
/** The server's log: a client's mistake is never logged above `warn` (checked at the end). */
const logs = logCapture();

/** Every response goes through here: no stack frames, SQL, ORM or driver names, file paths. */
function clean<T extends { raw: string }>(name: string, res: T): T {
  seen.push({ name, raw: res.raw });
  expect(leaks(res.raw), `${name}: ${res.raw.slice(0, 500)}`).toEqual([]);
  return res;
}
const post = async (name: string, body: string) => clean(name, await postRaw(app, body, auth));
const docCount = async () => (await tenantRows(app, 'document', org.id)).length;

beforeAll(async () => {
  app = await startApp({ LOG_LEVEL: 'warn' }, undefined, { logStream: logs.stream });
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

  it('C1 controls and U+2028/U+2029 (the new-user trial) are BAD_USER_INPUT in titles and bodies; nothing is stored', async () => {
    const before = await tenantRows(app, 'document', org.id);
    for (const bad of ['\u009b31mcsi', '\u0085nel', 'a\u2028b', 'a\u2029b', 'c1\u0080', 'c1\u009f']) {
      const res = clean('C1 title', await gql(app, CreateDocumentDocument, { input: { title: bad } }, { token: org.owner.token }));
      expect([JSON.stringify(bad), codes(res)]).toEqual([JSON.stringify(bad), ['BAD_USER_INPUT']]);
    }
    for (const bad of ['x\u0085y\u009b', 'x\u2028y']) {
      const res = await gql(app, UpdateDocumentDocument, { id: org.documents[0]!.id, input: { body: bad } }, { token: org.owner.token });
      expect([JSON.stringify(bad), codes(clean('C1 body', res))]).toEqual([JSON.stringify(bad), ['BAD_USER_INPUT']]);
    }
    expect(await tenantRows(app, 'document', org.id)).toEqual(before);
  });

  it('a tab in a single-line title is refused with a message that names the tab (a body may hold one)', async () => {
    const res = clean('tab title', await gql(app, CreateDocumentDocument, { input: { title: 'a\tb' } }, { token: org.owner.token }));
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.raw).toContain('title must not contain a tab.');
    const broken = clean('break title', await gql(app, CreateDocumentDocument, { input: { title: 'a\nb' } }, { token: org.owner.token }));
    expect(broken.raw).toContain('title must be a single line: it contains a line break.');
  });
});

/** The `extensions.code` of each error of a raw answer. */
const codesOf = (raw: string) => ((JSON.parse(raw) as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map((e) => e.extensions?.code);

describe('client input that used to end as a server error', () => {
  it('variables nested 5,000 levels deep on `query { __typename }`, anonymous: HTTP 400 BAD_USER_INPUT, every time', async () => {
    const body = `{"query":"query { __typename }","variables":{"x":${deepList(5000).text}}}`;
    expect(body.length).toBeGreaterThan(10_000);
    for (let i = 0; i < 3; i++) {
      const res = clean('deep variables', await postRaw(app, body));
      expect([res.status, codesOf(res.raw)], res.raw).toEqual([400, ['BAD_USER_INPUT']]);
      expect(res.raw).toMatch(/nests deeper than 32 levels/);
    }
    // The whole kind: extensions too, objects as well as lists, and the largest body allowed.
    for (const [what, nested] of [
      ['extensions', `{"query":"{ __typename }","extensions":{"x":${deepList(5000).text}}}`],
      ['objects', `{"query":"{ __typename }","variables":{"x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`],
      ['500,000 levels', `{"query":"{ __typename }","variables":{"x":${deepList(500_000).text}}}`],
      ['33 levels', `{"query":"{ __typename }","variables":{"x":${deepList(32).text}}}`],
    ]) {
      const res = clean(what!, await postRaw(app, nested!));
      expect([what, res.status, codesOf(res.raw)], res.raw).toEqual([what, 400, ['BAD_USER_INPUT']]);
    }
    const ok = await postRaw(app, `{"query":"{ __typename }","variables":{"x":${deepList(31).text}}}`);
    expect([ok.status, JSON.parse(ok.raw)], '32 levels are accepted').toEqual([200, { data: { __typename: 'Query' } }]);
  });

  it('`login` with NUL in the email is BAD_USER_INPUT (HTTP 400): the value never reaches PostgreSQL', async () => {
    const login = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
    const res = clean('NUL email', await postRaw(app, JSON.stringify({ query: login, variables: { input: { email: 'someone\u0000@example.test', password: 'whatever-password' } } })));
    expect([res.status, codesOf(res.raw)], res.raw).toEqual([400, ['BAD_USER_INPUT']]);
    expect(JSON.parse(res.raw).errors[0].message).toMatch(/"variables\.input\.email" contains U\+0000/);
  });

  it('an operationName the document lacks, or several operations and none named, is OPERATION_RESOLUTION_FAILURE (HTTP 400; README error table)', async () => {
    for (const body of [{ query: 'query A { __typename } query B { __typename }', operationName: 'C' }, { query: 'query A { __typename } query B { __typename }' }]) {
      const res = await post('operation resolution', JSON.stringify(body));
      expect([res.status, codesOf(res.raw)], res.raw).toEqual([400, ['OPERATION_RESOLUTION_FAILURE']]);
    }
  });

  it('an operation type the schema lacks (`subscription`) is GRAPHQL_VALIDATION_FAILED (HTTP 400)', async () => {
    for (const query of ['subscription { x }', 'subscription S { me { role } }']) {
      const res = await post(query, JSON.stringify({ query }));
      expect([query, res.status, codesOf(res.raw)], res.raw).toEqual([query, 400, ['GRAPHQL_VALIDATION_FAILED']]);
      expect(res.raw).toMatch(/This API has no subscription operations/);
    }
  });

  it('forbidden characters are refused wherever a string enters: variables at any depth, literals, operation name, extensions', async () => {
    const create = print(CreateDocumentDocument);
    const before = await tenantRows(app, 'document', org.id);
    for (const [name, c] of Object.entries(FORBIDDEN_CHARACTERS)) {
      const bodies: Record<string, unknown>[] = [
        { query: create, variables: { input: { title: 'ok', body: `a${c}b` } } },
        { query: '{ __typename }', variables: { unused: [1, { deep: [`a${c}b`] }] } },
        { query: '{ __typename }', variables: { [`key${c}`]: 1 } },
        { query: 'query Q { __typename }', operationName: `Q${c}` },
        { query: '{ __typename }', extensions: { note: `a${c}b` } },
        { query: '{ __typename }', extensions: { [`key${c}`]: 1 } },
      ];
      for (const body of bodies) {
        const res = await post(name, JSON.stringify(body));
        expect([name, body, res.status, codesOf(res.raw)], res.raw).toEqual([name, body, 400, ['BAD_USER_INPUT']]);
      }
    }
    // In the document: an escape sequence, or the raw character in a string or block string.
    for (const literal of ['"a\\u0000b"', '"a\\u001bb"', '"a\\u007fb"', '"a\\u009bb"', '"a\\u2028b"', '"a\u0085b"', '"a\u0000b"', '"""a\u0000b"""', '"""a\u0007b"""']) {
      const res = await post(literal, JSON.stringify({ query: `mutation { createDocument(input: { title: "ok", body: ${literal} }) { id } }` }));
      expect([literal, res.status, codesOf(res.raw)], res.raw).toEqual([literal, 400, ['BAD_USER_INPUT']]);
    }
    expect(await tenantRows(app, 'document', org.id)).toEqual(before);
  });

  it('tab, line breaks and surrogate pairs pass, and are stored exactly as sent', async () => {
    const exact = 'tab\there\nline\r\nwindows \u{1F600}';
    const { createDocument } = await gqlOk(app, CreateDocumentDocument, { input: { title: 'exact', body: exact } }, { token: org.owner.token });
    expect(createDocument.body).toBe(exact);
    const stored = (await tenantRows(app, 'document', org.id)).find((r) => r.id === createDocument.id);
    expect(stored?.body).toBe(exact);
    await gqlOk(app, DeleteDocumentDocument, { id: createDocument.id }, { token: org.owner.token });
  });
});

describe('forged cursors', () => {
  const activity = 'query ($after: String) { activity(first: 2, after: $after) { edges { cursor } pageInfo { endCursor } } }';
  const documents = 'query ($after: String) { documents(first: 1, after: $after) { edges { cursor } pageInfo { endCursor } } }';

  it.each([
    ['documents (fixed SQL)', documents, 'documents'],
    ['activity (MikroORM findByCursor)', activity, 'activity'],
  ])('%s: a real endCursor pages on; every well-formed forged cursor is BAD_USER_INPUT', async (_name, query, field) => {
    const first = JSON.parse((await post('page 1', JSON.stringify({ query, variables: {} }))).raw);
    const endCursor: string = first.data[field].pageInfo.endCursor;
    expect(endCursor).toEqual(expect.any(String));
    const next = JSON.parse((await post('page 2', JSON.stringify({ query, variables: { after: endCursor } }))).raw);
    expect(next.errors).toBeUndefined();
    expect(next.data[field].edges.length).toBeGreaterThan(0);

    const [time, id] = JSON.parse(Buffer.from(endCursor, 'base64url').toString()) as [string, string];
    const variants = [
      ...forgedCursors(),
      { name: 'the real position with an upper-case id, re-spaced', value: cursorOf(`[ "${time}", "${id.toUpperCase()}" ]`) },
      { name: 'the real position as epoch milliseconds', value: cursorOf(`[${Date.parse(time)},"${id}"]`) },
    ];
    for (const { name, value } of variants) {
      const res = await post(name, JSON.stringify({ query, variables: { after: value } }));
      expect([name, codesOf(res.raw)], res.raw).toEqual([name, ['BAD_USER_INPUT']]);
      expect(res.raw).toMatch(/Invalid cursor/);
    }
  });
});

describe('numbers, enums and wrong types', () => {
  it('out-of-range, fractional and mistyped numbers, misspelt enums: BAD_USER_INPUT or GRAPHQL_VALIDATION_FAILED, never a server error', async () => {
    const page = 'query ($n: Int) { documents(first: $n) { edges { cursor } } }';
    const cases: [string, string][] = [
      ['first: 2^31', JSON.stringify({ query: page, variables: { n: 2 ** 31 } })],
      ['first: 1e309', `{"query":${JSON.stringify(page)},"variables":{"n":1e309}}`],
      ['first: 1.5', JSON.stringify({ query: page, variables: { n: 1.5 } })],
      ['first: "20"', JSON.stringify({ query: page, variables: { n: '20' } })],
      ['first: 0', JSON.stringify({ query: page, variables: { n: 0 } })],
      ['first: -1', JSON.stringify({ query: page, variables: { n: -1 } })],
      ['first: [20]', JSON.stringify({ query: page, variables: { n: [20] } })],
      ['comments(first: 0)', JSON.stringify({ query: '{ documents(first: 1) { edges { node { comments(first: 0) { id } } } } }' })],
      ['literal first: 99999999999', JSON.stringify({ query: '{ documents(first: 99999999999) { edges { cursor } } }' })],
      ['role: "owner"', JSON.stringify({ query: 'mutation ($i: AddMemberInput!) { addMember(input: $i) { role } }', variables: { i: { email: org.owner.email, role: 'owner' } } })],
      ['filter: "x"', JSON.stringify({ query: 'query ($f: DocumentFilter) { documents(filter: $f) { edges { cursor } } }', variables: { f: 'x' } })],
    ];
    for (const [name, body] of cases) {
      const res = await post(name, body);
      expect(res.status, `${name}: ${res.raw}`).toBeLessThan(500);
      expect([name, codesOf(res.raw).every((c) => c === 'BAD_USER_INPUT' || c === 'GRAPHQL_VALIDATION_FAILED')], res.raw).toEqual([name, true]);
      expect(codesOf(res.raw).length, name).toBeGreaterThan(0);
    }
  });

  it('a persisted-query extension (not supported here) is PERSISTED_QUERY_NOT_SUPPORTED, whatever its version or hash', async () => {
    for (const persistedQuery of [{ version: 1, sha256Hash: 'abc' }, { version: 2, sha256Hash: 'abc' }, { version: 1, sha256Hash: { a: 1 } }]) {
      const res = await post('apq', JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery } }));
      expect([persistedQuery, codesOf(res.raw)], res.raw).toEqual([persistedQuery, ['PERSISTED_QUERY_NOT_SUPPORTED']]);
    }
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

  it('nothing in this file was logged above warn: every refusal was the client\'s mistake', () => {
    expect(logs.aboveWarn().map((l) => l.raw)).toEqual([]);
  });
});
