import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Kind, parse, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as generated from '../src/client/generated/graphql.js';
import { CreateDocumentDocument, DocumentsDocument, LoginDocument, MeDocument } from '../src/client/generated/graphql.js';
import manifestJson from '../src/client/generated/persisted-documents.json' with { type: 'json' };
import { loadTrustedManifest, TrustedManifestError } from '../src/graphql/trusted-documents/manifest.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, TEST_PASSWORD, type TestOrg } from './support/factories.js';
import { expectNoPlayground } from './support/graphql.js';
import { getWith, idOf, postJson, type Answer } from './support/trusted-documents.js';

// Trusted documents: the manifest codegen writes (sha256:<hex> -> document) is what a client may
// run by id, in the forms clients send (documentId, Apollo's persistedQuery extension, Relay's
// doc_id; POST and GET). An unknown id, a malformed one, and free text under
// TRUSTED_DOCUMENTS=only are refused with their own codes before Apollo parses anything.

const OPERATIONS = new URL('../src/client/operations/', import.meta.url).pathname;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const manifest = manifestJson as Record<string, string>;

let app: TestApp;
let only: TestApp;
let org: TestOrg;
let orgOnly: TestOrg;

beforeAll(async () => {
  [app, only] = await Promise.all([startApp(), startApp({ TRUSTED_DOCUMENTS: 'only' })]);
  [org, orgOnly] = await Promise.all([createOrg(app, { documents: 3 }), createOrg(only, { documents: 3 })]);
});
afterAll(async () => {
  await Promise.all([app?.close(), only?.close()]);
});

const documentsIn = (o: TestOrg) => o.documents.map((d) => d.title).sort();
const titles = (res: Answer) => (res.body.data?.documents?.edges ?? []).map((e: { node: { title: string } }) => e.node.title).sort();
const documentRows = (a: TestApp, organizationId: string) =>
  withSql(a.databaseUrl, async (c) => (await c.query<{ n: number }>('select count(*)::int as n from document where organization_id = $1', [organizationId])).rows[0]!.n);

describe('the manifest', () => {
  it('holds exactly the operations of src/client/operations, each under the SHA-256 of its text, as the generated documents name it', () => {
    const declared = readdirSync(OPERATIONS)
      .filter((f) => f.endsWith('.graphql'))
      .flatMap((f) => parse(readFileSync(`${OPERATIONS}${f}`, 'utf8')).definitions)
      .flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name!.value] : []))
      .sort();
    const loaded = loadTrustedManifest();
    expect(loaded.size).toBe(Object.keys(manifest).length);
    expect([...loaded.operationNames].sort()).toEqual(declared);
    for (const [id, text] of Object.entries(manifest)) expect(id).toBe(`sha256:${sha256(text)}`);
    // Every generated operation document carries its manifest id, and the manifest's text is that operation.
    const typed = Object.entries(generated).filter(([name]) => name.endsWith('Document') && !name.endsWith('FragmentDoc'));
    expect(typed.length).toBe(declared.length);
    for (const [name, document] of typed) {
      const entry = loaded.get(idOf(document as never));
      expect(entry?.operationName, name).toBe(`${name.replace(/Document$/, '')}`);
    }
  });

  it('is checked when loaded: a hand edit, a malformed id, two operations or no parse stop the server from starting', () => {
    const [id, text] = Object.entries(manifest)[0]!;
    const cases: Record<string, Record<string, unknown>> = {
      'text edited, id kept': { [id]: `${text} ` },
      'id in upper case': { [id.toUpperCase().replace('SHA256', 'sha256')]: text },
      'no prefix': { [id.slice('sha256:'.length)]: text },
      'two operations': { [`sha256:${sha256('query A { me { role } } query B { me { role } }')}`]: 'query A { me { role } } query B { me { role } }' },
      'an anonymous operation': { [`sha256:${sha256('{ me { role } }')}`]: '{ me { role } }' },
      'not GraphQL': { [`sha256:${sha256('query {')}`]: 'query {' },
      'not a string': { [id]: 42 },
    };
    for (const [name, entries] of Object.entries(cases)) expect(() => loadTrustedManifest(entries), name).toThrow(TrustedManifestError);
    expect(loadTrustedManifest({ [id]: text }).get(id)?.text).toBe(text);
  });
});

describe('a document named by id runs, with its variables', () => {
  it('documentId in a POST body (GraphQL over HTTP): the same answer as the text', async () => {
    const byId = await postJson(app.graphqlUrl, { documentId: idOf(DocumentsDocument), variables: { first: 10 } }, org.owner.token);
    expect(byId.status, byId.raw).toBe(200);
    expect(titles(byId)).toEqual(documentsIn(org));
    const byText = await postJson(app.graphqlUrl, { query: print(DocumentsDocument), variables: { first: 10 } }, org.owner.token);
    expect(byId.body.data).toEqual(byText.body.data);
  });

  it('a mutation by id, with an input object: signs in and returns a token that works', async () => {
    const res = await postJson(app.graphqlUrl, { documentId: idOf(LoginDocument), operationName: 'Login', variables: { input: { email: org.owner.email, password: TEST_PASSWORD, organizationId: org.id } } });
    expect(res.status, res.raw).toBe(200);
    const token = res.body.data?.login?.accessToken as string;
    const me = await postJson(app.graphqlUrl, { documentId: idOf(MeDocument) }, token);
    expect(me.body.data?.me?.organization?.id, me.raw).toBe(org.id);
  });

  it("Apollo Client's and urql's form (extensions.persistedQuery, the hash bare or prefixed) and Relay's doc_id", async () => {
    const hex = idOf(DocumentsDocument).slice('sha256:'.length);
    const forms = {
      'persistedQuery, bare hex': { extensions: { persistedQuery: { version: 1, sha256Hash: hex } }, variables: { first: 10 } },
      'persistedQuery, sha256: prefix': { extensions: { persistedQuery: { version: 1, sha256Hash: idOf(DocumentsDocument) } }, variables: { first: 10 } },
      doc_id: { doc_id: idOf(DocumentsDocument), variables: { first: 10 } },
    };
    for (const [name, body] of Object.entries(forms)) {
      const res = await postJson(app.graphqlUrl, body, org.owner.token);
      expect([name, res.status, titles(res)], res.raw).toEqual([name, 200, documentsIn(org)]);
    }
  });

  it('by GET, in each form: documentId, doc_id, extensions.persistedQuery; variables as JSON', async () => {
    const hex = idOf(DocumentsDocument).slice('sha256:'.length);
    const variables = JSON.stringify({ first: 10 });
    const forms: Record<string, Record<string, string>> = {
      documentId: { documentId: idOf(DocumentsDocument), variables },
      doc_id: { doc_id: idOf(DocumentsDocument), variables },
      persistedQuery: { extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hex } }), variables },
    };
    for (const [name, params] of Object.entries(forms)) {
      const res = await getWith(app.graphqlUrl, params, org.owner.token);
      expect([name, res.status, titles(res)], res.raw).toEqual([name, 200, documentsIn(org)]);
    }
  });

  it('a mutation by GET is refused with 405 (GraphQL over HTTP: GET never mutates) and nothing is created', async () => {
    const before = await documentRows(app, org.id);
    const res = await getWith(app.graphqlUrl, { documentId: idOf(CreateDocumentDocument), variables: JSON.stringify({ input: { title: 'by GET', body: 'x' } }) }, org.owner.token);
    expect(res.status, res.raw).toBe(405);
    expect(res.body.data).toBeUndefined();
    expect(await documentRows(app, org.id)).toBe(before);
  });
});

describe('TRUSTED_DOCUMENTS=only', () => {
  it('refuses free-form text with TRUSTED_DOCUMENT_REQUIRED (HTTP 400), by POST and GET, before anything runs', async () => {
    const before = await documentRows(only, orgOnly.id);
    const texts = [
      { query: print(DocumentsDocument), variables: { first: 10 } },
      // The manifest's own text, sent as text: `only` asks for the id.
      { query: manifest[idOf(DocumentsDocument)], variables: { first: 10 } },
      { query: 'mutation { createDocument(input: { title: "free text", body: "x" }) { id } }' },
      { query: '{ __schema { types { name } } }' },
      { query: 'query IntrospectionQuery { __typename }' },
      { query: print(MeDocument), extensions: { persistedQuery: { version: 1, sha256Hash: sha256(print(MeDocument)) } } },
    ];
    for (const body of texts) {
      const res = await postJson(only.graphqlUrl, body, orgOnly.owner.token);
      expect([res.status, res.codes], res.raw).toEqual([400, ['TRUSTED_DOCUMENT_REQUIRED']]);
      expect(res.body.data).toBeUndefined();
    }
    const get = await getWith(only.graphqlUrl, { query: '{ me { role } }' }, orgOnly.owner.token);
    expect([get.status, get.codes], get.raw).toEqual([400, ['TRUSTED_DOCUMENT_REQUIRED']]);
    expect(await documentRows(only, orgOnly.id)).toBe(before);
  });

  it('runs the manifest documents by id, by POST and GET', async () => {
    const post = await postJson(only.graphqlUrl, { documentId: idOf(DocumentsDocument), variables: { first: 10 } }, orgOnly.owner.token);
    expect([post.status, titles(post)], post.raw).toEqual([200, documentsIn(orgOnly)]);
    const get = await getWith(only.graphqlUrl, { documentId: idOf(DocumentsDocument), variables: JSON.stringify({ first: 10 }) }, orgOnly.owner.token);
    expect([get.status, titles(get)], get.raw).toEqual([200, documentsIn(orgOnly)]);
    const created = await postJson(only.graphqlUrl, { documentId: idOf(CreateDocumentDocument), variables: { input: { title: 'by id', body: 'x' } } }, orgOnly.owner.token);
    expect(created.body.data?.createDocument?.title, created.raw).toBe('by id');
  });

  it('has no playground, even in development: it would send free text', async () => {
    await expectNoPlayground(only);
  });

  it('the default is allow: free text runs', async () => {
    expect(app.config.trustedDocuments).toBe('allow');
    const res = await postJson(app.graphqlUrl, { query: '{ me { role } }' }, org.owner.token);
    expect(res.body.data?.me?.role, res.raw).toBe('OWNER');
  });
});
