import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentsDocument, MeDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { codes, expectNoPlayground, gql, postRaw } from './support/graphql.js';

const LEAKS = [/select /i, /insert /i, /mikro-?orm/i, /node_modules/, /\bat \S+ \(/, /ECONNREFUSED/, /pool/i, /knex/i];

describe('health and failure', () => {
  let app: TestApp;
  let org: TestOrg;
  beforeAll(async () => {
    app = await startApp();
    org = await createOrg(app);
  });
  afterAll(() => app?.close());

  it('/healthz and /readyz answer while the database is up', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', placements: [{ name: 'shared', status: 'ready' }] });
  });

  it('with the database gone: /readyz says 503, and GraphQL answers INTERNAL_SERVER_ERROR with a request id and no internals', async () => {
    await app.serving.close(true);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);

    const res = await gql(app, DocumentsDocument, {}, { token: org.owner.token });
    expect(codes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(res.errors?.[0]?.message).toBe('Internal server error');
    expect(res.requestId).toMatch(/\S/);
    for (const leak of LEAKS) expect(res.raw).not.toMatch(leak);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});

describe('production mode', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ NODE_ENV: 'production' });
  });
  afterAll(() => app?.close());

  it('refuses introspection', async () => {
    const res = await postRaw(app, JSON.stringify({ query: '{ __schema { types { name } } }' }));
    expect(res.raw).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(res.raw).not.toContain('Document');
  });

  it('gives no "Did you mean" hints about field names', async () => {
    const res = await postRaw(app, JSON.stringify({ query: '{ documentz { edges { cursor } } }' }));
    expect(res.raw).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(res.raw).not.toMatch(/did you mean/i);
  });

  it('serves no playground: a browser\'s GET gets a JSON error, not a page (development serves one: see below)', async () => {
    await expectNoPlayground(app);
  });
});

describe('development mode', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ NODE_ENV: 'development' });
  });
  afterAll(() => app?.close());

  it('serves the playground at GET /graphql and answers UNAUTHENTICATED without a token', async () => {
    const page = await fetch(app.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    expect(codes(await gql(app, MeDocument, {}))).toEqual(['UNAUTHENTICATED']);
  });
});
