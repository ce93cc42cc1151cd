import { createHash } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentsDocument, MeDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { getWith, idOf, postJson, type Answer } from './support/trusted-documents.js';

// Requests naming a document badly are refused before Apollo parses anything, with their own
// codes and HTTP 400: an unknown id (TRUSTED_DOCUMENT_NOT_FOUND, in both modes), a malformed id,
// two ids, an id with text (BAD_REQUEST). An APQ registration stays PERSISTED_QUERY_NOT_SUPPORTED.

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const UNKNOWN_ID = `sha256:${sha256('query NeverBuilt { me { user { id } } }')}`;

let app: TestApp;
let only: TestApp;
let org: TestOrg;

beforeAll(async () => {
  [app, only] = await Promise.all([startApp(), startApp({ TRUSTED_DOCUMENTS: 'only' })]);
  org = await createOrg(app, { documents: 1 });
});
afterAll(async () => {
  await Promise.all([app?.close(), only?.close()]);
});

describe('refusals', () => {
  const expectRefusal = (res: Answer, code: string) => {
    expect([res.status, res.codes], res.raw).toEqual([400, [code]]);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.[0]?.extensions?.requestId).toBe(res.headers.get('x-request-id'));
  };

  it('an unknown id is TRUSTED_DOCUMENT_NOT_FOUND (HTTP 400) in every form, by POST and GET, in both modes', async () => {
    for (const target of [app, only]) {
      const hex = UNKNOWN_ID.slice('sha256:'.length);
      expectRefusal(await postJson(target.graphqlUrl, { documentId: UNKNOWN_ID }), 'TRUSTED_DOCUMENT_NOT_FOUND');
      expectRefusal(await postJson(target.graphqlUrl, { doc_id: UNKNOWN_ID }), 'TRUSTED_DOCUMENT_NOT_FOUND');
      expectRefusal(await postJson(target.graphqlUrl, { extensions: { persistedQuery: { version: 1, sha256Hash: hex } } }), 'TRUSTED_DOCUMENT_NOT_FOUND');
      expectRefusal(await getWith(target.graphqlUrl, { documentId: UNKNOWN_ID }), 'TRUSTED_DOCUMENT_NOT_FOUND');
    }
  });

  it('a malformed id is BAD_REQUEST (HTTP 400), never echoed: not sha256: + 64 lower-case hex, NUL, huge, not a string', async () => {
    const hex = idOf(DocumentsDocument).slice('sha256:'.length);
    const malformed: Record<string, unknown> = {
      'upper-case hex': `sha256:${hex.toUpperCase()}`,
      'upper-case prefix': `SHA256:${hex}`,
      '63 digits': `sha256:${hex.slice(1)}`,
      '65 digits': `sha256:${hex}0`,
      'no prefix': hex,
      'another algorithm': `md5:${hex.slice(0, 32)}`,
      'a custom id': 'Documents',
      'spaces around': ` sha256:${hex} `,
      'a trailing newline': `sha256:${hex}\n`,
      'NUL inside': `sha256:${hex.slice(0, 10)}\u0000${hex.slice(11)}`,
      'a lone surrogate': `sha256:${hex.slice(1)}\ud800`,
      'a 1,000,000-character id': `sha256:${'a'.repeat(1_000_000 - 7)}`,
      'the empty string': '',
      'a number': 42,
      'an object': { id: hex },
      'an array': [idOf(DocumentsDocument)],
      true: true,
    };
    for (const [name, value] of Object.entries(malformed)) {
      for (const field of ['documentId', 'doc_id']) {
        const res = await postJson(app.graphqlUrl, { [field]: value }, org.owner.token);
        expect([name, field, res.status, res.codes], res.raw.slice(0, 300)).toEqual([name, field, 400, ['BAD_REQUEST']]);
        expect(res.raw.toLowerCase()).not.toContain(hex.slice(10, 30));
      }
      if (typeof value === 'string' && value.length < 100_000) {
        const res = await getWith(app.graphqlUrl, { documentId: value }, org.owner.token);
        expect([name, 'GET', res.status, res.codes], res.raw.slice(0, 300)).toEqual([name, 'GET', 400, ['BAD_REQUEST']]);
      }
    }
  });

  it('an Apollo-form hash that is malformed, or a version other than 1, is BAD_REQUEST', async () => {
    const hex = idOf(DocumentsDocument).slice('sha256:'.length);
    const extensions = [
      { persistedQuery: { version: 2, sha256Hash: hex } },
      { persistedQuery: { sha256Hash: hex } },
      { persistedQuery: { version: 1, sha256Hash: hex.toUpperCase() } },
      { persistedQuery: { version: 1, sha256Hash: `${hex}\u0000` } },
      { persistedQuery: { version: 1, sha256Hash: { a: 1 } } },
      { persistedQuery: { version: 1 } },
      { persistedQuery: 'sha256' },
    ];
    for (const ext of extensions) {
      const res = await postJson(app.graphqlUrl, { extensions: ext });
      expect([ext, res.status, res.codes], res.raw).toEqual([ext, 400, ['BAD_REQUEST']]);
    }
  });

  it('an id with query text, two ids, or an id repeated in the URL is BAD_REQUEST: which one would run is not guessed', async () => {
    const id = idOf(MeDocument);
    const bodies = [
      { documentId: id, query: '{ me { role } }' },
      { documentId: id, doc_id: id },
      { documentId: id, extensions: { persistedQuery: { version: 1, sha256Hash: id } } },
    ];
    for (const body of bodies) expectRefusal(await postJson(app.graphqlUrl, body, org.owner.token), 'BAD_REQUEST');
    expectRefusal(await getWith(app.graphqlUrl, new URLSearchParams([['documentId', id], ['documentId', id]]), org.owner.token), 'BAD_REQUEST');
    expectRefusal(await getWith(app.graphqlUrl, { documentId: id, query: '{ me { role } }' }, org.owner.token), 'BAD_REQUEST');
  });

  it('an automatic-persisted-query registration (text with a persistedQuery extension) stays PERSISTED_QUERY_NOT_SUPPORTED', async () => {
    const query = print(MeDocument);
    const res = await postJson(app.graphqlUrl, { query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } }, org.owner.token);
    expect(res.codes, res.raw).toEqual(['PERSISTED_QUERY_NOT_SUPPORTED']);
  });
});
