import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { startApp, type TestApp } from './support/app.js';
import { leaks } from './support/documents-helpers.js';
import { createOrg, TEST_PASSWORD, type TestOrg } from './support/factories.js';
import { expectNoPlayground } from './support/graphql.js';

// Production is NODE_ENV=production, or NODE_ENV unset with DEPLOYMENT_MODE set: an operator who
// configured a deployment and forgot NODE_ENV still gets the hardened edge.

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';
const ORG = '6f1c2c1e-5a8e-4f57-9a52-3c1a6e0b9d11';

async function post(app: TestApp, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const raw = await res.text();
  return { status: res.status, raw, requestId: res.headers.get('x-request-id'), body: JSON.parse(raw) as { data?: unknown; errors?: GraphQLFormattedError[] } };
}

describe('which environment counts as production', () => {
  it('NODE_ENV unset with DEPLOYMENT_MODE set: production, in either mode', () => {
    const multi = loadConfig({ DEPLOYMENT_MODE: 'multi_tenant', JWT_SECRET: SECRET });
    expect(multi.isProduction).toBe(true);
    expect(multi.nodeEnv).toBe('production');
    const single = loadConfig({ DEPLOYMENT_MODE: 'single_tenant', DEFAULT_ORGANIZATION_ID: ORG, JWT_SECRET: SECRET });
    expect(single.isProduction).toBe(true);
  });

  it('a blank NODE_ENV (as `NODE_ENV=` in .env leaves it) counts as unset', () => {
    for (const NODE_ENV of ['', '  ']) {
      expect(loadConfig({ NODE_ENV, DEPLOYMENT_MODE: 'multi_tenant', JWT_SECRET: SECRET }).isProduction, JSON.stringify(NODE_ENV)).toBe(true);
    }
  });

  it('so it requires JWT_SECRET, like NODE_ENV=production', () => {
    try {
      loadConfig({ DEPLOYMENT_MODE: 'multi_tenant' });
      expect.unreachable('loadConfig accepted a production configuration without JWT_SECRET');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([expect.stringMatching(/JWT_SECRET must be set .* in production/)]);
    }
  });

  it('an explicit NODE_ENV wins; with neither set it is development', () => {
    for (const NODE_ENV of ['development', 'test'] as const) {
      const config = loadConfig({ NODE_ENV, DEPLOYMENT_MODE: 'multi_tenant' });
      expect(config.isProduction, NODE_ENV).toBe(false);
      expect(config.nodeEnv).toBe(NODE_ENV);
    }
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).isProduction).toBe(true);
    const bare = loadConfig({});
    expect(bare.isProduction).toBe(false);
    expect(bare.nodeEnv).toBe('development');
    expect(loadConfig({ JWT_SECRET: SECRET, DATABASE_URL: 'postgresql://db/app' }).isProduction).toBe(false);
  });
});

describe('production by DEPLOYMENT_MODE, NODE_ENV unset', () => {
  let app: TestApp;
  let org: TestOrg;
  /** The server's log lines at level error and above, as JSON. */
  const logLines: { level: number; reqId?: string; msg: string; err?: { message?: string; stack?: string } }[] = [];
  const logStream = { write: (line: string) => void logLines.push(JSON.parse(line)) };
  beforeAll(async () => {
    // startApp passes NODE_ENV=test unless told otherwise; blank is unset.
    app = await startApp({ NODE_ENV: '', DEPLOYMENT_MODE: 'multi_tenant', LOG_LEVEL: 'error' }, undefined, { logStream });
    org = await createOrg(app, { documents: 1 });
  });
  afterAll(() => app?.close());

  it('is production', () => {
    expect(app.config.isProduction).toBe(true);
  });

  it('refuses introspection, by __schema and by __type', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Document") { fields { name } } }']) {
      const res = await post(app, { query }, { authorization: `Bearer ${org.owner.token}` });
      expect(res.status, query).toBe(400);
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(res.body.errors?.[0]?.message).toMatch(/introspection/i);
      expect(res.raw).not.toMatch(/createdBy|DocumentConnection|archivedAt/);
    }
  });

  it('gives no "Did you mean" hints about field, argument or type names', async () => {
    for (const query of ['{ documentz { edges { cursor } } }', '{ documents(frist: 5) { edges { cursor } } }', 'query ($f: DocumentFiltr) { documents(filter: $f) { edges { cursor } } }']) {
      const res = await post(app, { query }, { authorization: `Bearer ${org.owner.token}` });
      expect(res.body.errors?.map((e) => e.extensions?.code)[0], query).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.raw).not.toMatch(/did you mean/i);
      expect(res.raw).not.toMatch(/DocumentFilter"|"documents"\?|first/);
    }
  });

  it('serves no playground: a browser\'s GET gets a JSON error, not a page (development serves one: test/server.test.ts)', async () => {
    await expectNoPlayground(app);
  });

  it('client errors carry a code and the request id, never a stack trace', async () => {
    const res = await post(app, { query: '{ documents(first: 0) { edges { cursor } } }' }, { authorization: `Bearer ${org.owner.token}` });
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(res.body.errors?.[0]?.extensions?.requestId).toBe(res.requestId);
    expect(res.raw).not.toMatch(/stacktrace/);
    expect(leaks(res.raw)).toEqual([]);
  });

  // Last: it takes the database away from the server.
  it('masks every non-GraphQL error as INTERNAL_SERVER_ERROR with the request id, no stack and no internals; the log has the details under that id', async () => {
    await app.serving.close(true);

    // In a resolver (login reads the database): the request id is in the error and the header.
    const login = await post(app, { query: `mutation { login(input: { email: "${org.owner.email}", password: "${TEST_PASSWORD}" }) { accessToken } }` });
    expect(login.body.errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(login.body.errors?.[0]?.message).toBe('Internal server error');
    expect(login.body.errors?.[0]?.extensions?.requestId).toBe(login.requestId);
    expect(login.requestId).toMatch(/\S/);

    // Before any resolver (the token's membership cannot be read): the same, and no 2xx.
    const listed = await post(app, { query: '{ documents { edges { cursor } } }' }, { authorization: `Bearer ${org.owner.token}` });
    expect(listed.status).toBeGreaterThanOrEqual(500);
    expect(listed.body.errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(listed.body.errors?.[0]?.message).toBe('Internal server error');
    expect(listed.body.errors?.[0]?.extensions?.requestId).toBe(listed.requestId);
    expect(listed.requestId).toMatch(/\S/);

    for (const res of [login, listed]) {
      expect(res.raw).not.toMatch(/stacktrace/);
      expect(leaks(res.raw)).toEqual([]);
      expect(res.raw).not.toMatch(/ECONNREFUSED|pool|knex|Context creation failed/i);
      // What the client was not told is in the log, on a line carrying its request id, once.
      const lines = logLines.filter((l) => l.reqId === res.requestId && l.err);
      expect(lines, JSON.stringify(logLines)).toHaveLength(1);
      expect(lines[0]!.level).toBeGreaterThanOrEqual(50);
      expect(lines[0]!.err?.stack).toMatch(/\S/);
    }
    // Nothing was logged without a request id.
    expect(logLines.filter((l) => l.err && !l.reqId)).toEqual([]);
  });
});

describe('NODE_ENV=test with DEPLOYMENT_MODE set is not production (the contrast)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ DEPLOYMENT_MODE: 'multi_tenant' });
  });
  afterAll(() => app?.close());

  it('allows introspection and gives suggestions', async () => {
    expect(app.config.isProduction).toBe(false);
    const schema = await post(app, { query: '{ __type(name: "Document") { fields { name } } }' });
    expect(schema.status).toBe(200);
    expect(schema.raw).toContain('createdBy');
    const typo = await post(app, { query: '{ documentz { edges { cursor } } }' });
    expect(typo.raw).toMatch(/did you mean/i);
  });
});
