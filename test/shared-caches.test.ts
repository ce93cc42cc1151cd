import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, type TestOrg } from './support/factories.js';

// Caches shared by every caller must not answer differently because of what another tenant did
// (tenancy-threats.md, section 5). Apollo's automatic persisted queries would: one cache for
// everyone, so PERSISTED_QUERY_NOT_FOUND against a hit tells anyone whether someone else sent a
// given query. They are off (src/server.ts). A hash alone is looked up in the trusted manifest
// only, which the build fixes (src/graphql/trusted-documents/): nothing a client sends adds to it.

let app: TestApp;
let a: TestOrg;
let b: TestOrg;
beforeAll(async () => {
  app = await startApp();
  [a, b] = await Promise.all([createOrg(app, { documents: 1 }), createOrg(app, { documents: 1 })]);
});
afterAll(() => app?.close());

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function post(body: unknown, token: string) {
  const res = await fetch(app.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return { status: res.status, data: json.data, errors: json.errors?.map(({ message, extensions }) => ({ message, code: extensions?.code })) };
}

describe('automatic persisted queries', () => {
  it("a hash another tenant just sent gets exactly the answer of a hash nobody sent", async () => {
    // B's own query, with its hash, as an APQ client registers it.
    const query = `query BOnly { documents(first: 3) { edges { node { title } } } } # ${b.id}`;
    const registered = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } }, b.owner.token);

    const hashOnly = (sha256Hash: string) => post({ extensions: { persistedQuery: { version: 1, sha256Hash } } }, a.owner.token);
    const used = await hashOnly(sha256(query));
    const unknown = await hashOnly(sha256(`${query} never sent`));
    expect(used).toEqual(unknown);
    expect(used.data ?? null).toBeNull();
    expect(used.errors?.map((e) => e.code)).toEqual(['TRUSTED_DOCUMENT_NOT_FOUND']);
    // B's registration was refused the same way: nothing was stored to be found.
    expect(registered.errors?.map((e) => e.code)).toEqual(['PERSISTED_QUERY_NOT_SUPPORTED']);
  });
});
