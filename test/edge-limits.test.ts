import { makeExecutableSchema } from '@graphql-tools/schema';
import { getIntrospectionQuery, getOperationAST, Lexer, parse, Source, TokenKind, type GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateCost } from '../src/graphql/limits/cost.js';
import { loadTypeDefs } from '../src/graphql/schema.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';

// The GraphQL edge: every limit refuses a request BEFORE it executes. The proof: each refused
// request also reads `document(id)`, which writes a `document.read` row to the audit trail
// whenever it runs (the first test shows it does); after a refusal the trail has no new row, and
// the response has no `data` entry at all (the GraphQL spec's mark of a request error).

interface Answer {
  status: number;
  body: { data?: unknown; errors?: GraphQLFormattedError[] };
  headers: Headers;
  raw: string;
}

async function post(app: TestApp, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const raw = await res.text();
  return { status: res.status, body: JSON.parse(raw) as Answer['body'], headers: res.headers, raw };
}

/** As the organization's OWNER, with `$id` bound to its document; runs the operation named `Main` when there is one. */
const ask = (app: TestApp, org: TestOrg, query: string, variables: Record<string, unknown> = {}) =>
  post(app, JSON.stringify({ query, variables: { id: org.documents[0]!.id, ...variables }, ...(/query Main\b/.test(query) ? { operationName: 'Main' } : {}) }), {
    authorization: `Bearer ${org.owner.token}`,
  });

/** Rows in the organization's audit trail, read with the plain driver. */
const auditRows = (app: TestApp, org: TestOrg) =>
  withSql(app.databaseUrl, async (c) => (await c.query<{ n: number }>('select count(*)::int as n from activity_event where organization_id = $1', [org.id])).rows[0]!.n);

/** Sends `query` and checks it was refused before execution: HTTP 400, `code`, no data, no audit row. */
async function expectRefused(app: TestApp, org: TestOrg, query: string, code: string, message: RegExp, variables: Record<string, unknown> = {}) {
  const before = await auditRows(app, org);
  const res = await ask(app, org, query, variables);
  expect(res.status, res.raw).toBe(400);
  expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual([code]);
  expect(res.body.errors?.[0]?.message).toMatch(message);
  expect(res.body.errors?.[0]?.extensions?.requestId).toBe(res.headers.get('x-request-id'));
  expect('data' in res.body, 'a refused request has no data entry').toBe(false);
  expect(await auditRows(app, org), 'nothing executed: no document.read in the audit trail').toBe(before);
  return res;
}

/** Sends `query` and checks it ran: HTTP 200, no errors, and the document read was audited. */
async function expectExecuted(app: TestApp, org: TestOrg, query: string, variables: Record<string, unknown> = {}) {
  const before = await auditRows(app, org);
  const res = await ask(app, org, query, variables);
  expect(res.status, res.raw).toBe(200);
  expect(res.body.errors, res.raw).toBeUndefined();
  expect(await auditRows(app, org)).toBeGreaterThan(before);
  return res;
}

/** Lexical tokens of a document, counted as graphql-js's parser counts them for `maxTokens`. */
function tokenCount(query: string): number {
  const lexer = new Lexer(new Source(query));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
}

/**
 * A document read padded with small named operations to exactly `tokens` tokens (`Main` runs).
 * (Padding by repeating one field would trip graphql-js's own budget for overlapping fields.)
 */
function queryOfTokens(tokens: number): string {
  const main = 'query Main($id: ID!) { d: document(id: $id) { id } }';
  const pad = (i: number) => ` query P${i} { __typename }`; // 5 tokens
  const fill = tokens - tokenCount(main);
  const query = main.replace('{ id }', `{ id${' title'.repeat(fill % 5)} }`) + Array.from({ length: Math.floor(fill / 5) }, (_, i) => pad(i)).join('');
  expect(tokenCount(query)).toBe(tokens);
  return query;
}

/** `__type` introspection nested to exactly `depth` levels, next to a document read. */
function queryOfDepth(depth: number): string {
  // __type (1) > fields (2) > type (3) > ofType … > name (depth)
  const ofTypes = depth - 4;
  return `query ($id: ID!) { d: document(id: $id) { id } __type(name: "Query") { fields { type { ${'ofType { '.repeat(ofTypes)}name${' }'.repeat(ofTypes)} } } } }`;
}

/** A document read plus `n - 1` further aliased fields: `n` aliases in all. */
function queryOfAliases(n: number): string {
  const more = Array.from({ length: n - 1 }, (_, i) => `o${i}: organization { id }`).join(' ');
  return `query ($id: ID!) { d: document(id: $id) { id } ${more} }`;
}

/** A JSON body of exactly `bytes` bytes: a trivial query plus an unused padding variable. */
function bodyOfBytes(bytes: number): string {
  const empty = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
  const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(bytes - empty.length) } });
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

describe('edge limits at their defaults', () => {
  let app: TestApp;
  let org: TestOrg;
  beforeAll(async () => {
    app = await startApp();
    org = await createOrg(app, { documents: 1 });
  });
  afterAll(() => app?.close());

  it('has the documented defaults', () => {
    expect(app.config.limits).toEqual({ maxDepth: 10, maxAliases: 15, maxTokens: 1000, maxCost: 5000, maxBodyBytes: 1024 * 1024 });
    expect(app.config.corsOrigins).toEqual([]);
  });

  it('an acceptable query runs, and a document read writes an audit row (what the refusals below check for)', async () => {
    const res = await expectExecuted(app, org, 'query ($id: ID!) { d: document(id: $id) { id title } documents(first: 5) { edges { node { id } } } }');
    expect(res.body.data).toMatchObject({ d: { id: org.documents[0]!.id } });
  });

  it('depth: 10 levels run, 11 are refused before execution', async () => {
    await expectExecuted(app, org, queryOfDepth(10));
    await expectRefused(app, org, queryOfDepth(11), 'GRAPHQL_VALIDATION_FAILED', /depth limit of 10 exceeded, found 11/);
  });

  it('aliases: 15 run, 16 are refused before execution', async () => {
    await expectExecuted(app, org, queryOfAliases(15));
    await expectRefused(app, org, queryOfAliases(16), 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 15 exceeded, found 16/);
  });

  it('tokens: 1000 run, 1001 are refused before the document is parsed', async () => {
    await expectExecuted(app, org, queryOfTokens(1000));
    await expectRefused(app, org, queryOfTokens(1001), 'GRAPHQL_PARSE_FAILED', /more that 1000 tokens/);
  });

  it('cost: list sizes multiply, and 6 pages of 100 documents with their authors are refused before execution', async () => {
    // documents(first: n) { edges { node { id title body createdBy { id name email } } } }
    // createdBy 1+3 = 4; node 1+(3+4) = 8; edges 1+8 = 9; documents 1 + n*9.
    const page = (alias: string) => `${alias}: documents(first: $n) { edges { node { id title body createdBy { id name email } } } }`;
    const query = `query ($id: ID!, $n: Int!) { d: document(id: $id) { id } ${['a', 'b', 'c', 'd2', 'e', 'f'].map(page).join(' ')} }`;
    // 1 (d) + 1 (d.id) + 6 * (1 + 92*9) = 4976
    await expectExecuted(app, org, query, { n: 92 });
    // 2 + 6 * (1 + 100*9) = 5408
    await expectRefused(app, org, query, 'QUERY_TOO_COMPLEX', /estimated cost 5408 exceeds the limit of 5000/, { n: 100 });
    // Estimates are remembered per (document, variables): the same requests again get the same answers.
    await expectRefused(app, org, query, 'QUERY_TOO_COMPLEX', /estimated cost 5408 exceeds the limit of 5000/, { n: 100 });
    await expectExecuted(app, org, query, { n: 92 });
  });

  it('a `first` beyond the page cap is a range error (BAD_USER_INPUT) before execution, however large: not QUERY_TOO_COMPLEX', async () => {
    for (const n of [101, 1000, 1_000_000]) {
      await expectRefused(app, org, `query ($id: ID!) { d: document(id: $id) { id } documents(first: ${n}) { edges { node { id title body } } } }`, 'BAD_USER_INPUT', /first must be between 1 and 100/);
    }
    // Nested list fields too (Document.comments), and as a variable.
    await expectRefused(app, org, 'query ($n: Int) { documents(first: 5) { edges { node { id comments(first: $n) { id } } } } }', 'BAD_USER_INPUT', /first must be between 1 and 100/, { n: 1_000_000 });
  });

  it('cost: a fragment fan-out (each fragment spreading the previous one twice) is refused before execution', async () => {
    const fragments = ['fragment F0 on Document { id title }'];
    for (let k = 1; k <= 14; k++) fragments.push(`fragment F${k} on Document { ...F${k - 1} ...F${k - 1} }`);
    await expectRefused(app, org, `query ($id: ID!) { d: document(id: $id) { ...F14 } } ${fragments.join(' ')}`, 'QUERY_TOO_COMPLEX', /more than 10000 fields/);
  });

  it("the playground's full introspection query passes every default limit (development tooling keeps working)", async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    const res = await post(app, JSON.stringify({ query }));
    expect(res.status, res.raw.slice(0, 500)).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.raw).toContain('"DocumentConnection"');
  });

  it('`first` is capped at 100 by the resolvers', async () => {
    const res = await ask(app, org, '{ documents(first: 101) { edges { node { id } } } }');
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(res.body.errors?.[0]?.message).toMatch(/between 1 and 100/);
  });

  it('body size: 1 MiB is accepted, one byte more is refused with 413 before the body is parsed', async () => {
    const ok = await post(app, bodyOfBytes(1024 * 1024));
    expect(ok.status, ok.raw.slice(0, 300)).toBe(200);
    expect(ok.body.data).toEqual({ __typename: 'Query' });

    const tooBig = await post(app, bodyOfBytes(1024 * 1024 + 1));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(tooBig.body.errors?.[0]?.message).toMatch(/body is too large/i);
    expect('data' in tooBig.body).toBe(false);
  });

  it('refuses a batched (array) body, running none of its operations', async () => {
    const before = await auditRows(app, org);
    const one = { query: 'query ($id: ID!) { document(id: $id) { id } }', variables: { id: org.documents[0]!.id } };
    const res = await post(app, JSON.stringify([one, one]), { authorization: `Bearer ${org.owner.token}` });
    expect(res.status, res.raw).toBe(400);
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_REQUEST']);
    expect(res.body.errors?.[0]?.message).toMatch(/batching/i);
    expect(res.body.errors?.[0]?.extensions?.requestId).toBe(res.headers.get('x-request-id'));
    expect(await auditRows(app, org)).toBe(before);
  });

  it('keeps CSRF prevention on: a GET query without a preflight-forcing header is refused', async () => {
    const url = `${app.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`;
    const blocked = await fetch(url);
    expect(blocked.status).toBe(400);
    expect(await blocked.text()).toMatch(/Cross-Site Request Forgery/);

    const allowed = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('allows no cross-origin access when CORS_ORIGINS is empty', async () => {
    const res = await post(app, JSON.stringify({ query: '{ __typename }' }), { origin: 'https://app.example.com' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await fetch(app.graphqlUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });
});

describe('edge limits set low through the environment', () => {
  const ALLOWED = 'https://app.example.com';
  let app: TestApp;
  let org: TestOrg;
  beforeAll(async () => {
    app = await startApp({
      MAX_QUERY_DEPTH: '4',
      MAX_ALIASES: '2',
      MAX_TOKENS: '60',
      MAX_QUERY_COST: '180',
      MAX_BODY_BYTES: '2048',
      CORS_ORIGINS: `${ALLOWED}, http://localhost:5173`,
    });
    org = await createOrg(app, { documents: 1 });
  });
  afterAll(() => app?.close());

  it('reads them from the environment', () => {
    expect(app.config.limits).toEqual({ maxDepth: 4, maxAliases: 2, maxTokens: 60, maxCost: 180, maxBodyBytes: 2048 });
    expect(app.config.corsOrigins).toEqual([ALLOWED, 'http://localhost:5173']);
  });

  it('depth 4 runs, 5 is refused (fields inside fragments count, the spread itself does not)', async () => {
    await expectExecuted(app, org, 'query ($id: ID!) { d: document(id: $id) { id } documents { edges { node { id } } } }');
    await expectRefused(app, org, 'query ($id: ID!) { d: document(id: $id) { id } documents { edges { node { createdBy { id } } } } }', 'GRAPHQL_VALIDATION_FAILED', /depth limit of 4 exceeded, found 5/);
    await expectRefused(
      app,
      org,
      'query ($id: ID!) { d: document(id: $id) { id } documents { edges { ...E } } } fragment E on DocumentEdge { node { createdBy { id } } }',
      'GRAPHQL_VALIDATION_FAILED',
      /depth limit of 4 exceeded, found 5/,
    );
    await expectExecuted(app, org, 'query ($id: ID!) { d: document(id: $id) { id } documents { edges { ...E } } } fragment E on DocumentEdge { node { ... on Document { id } } }');
  });

  it('2 aliases run, 3 are refused (aliases inside fragments count)', async () => {
    await expectExecuted(app, org, queryOfAliases(2));
    await expectRefused(app, org, queryOfAliases(3), 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 2 exceeded, found 3/);
    await expectRefused(app, org, 'query ($id: ID!) { d: document(id: $id) { ...F } } fragment F on Document { a: id b: title }', 'GRAPHQL_VALIDATION_FAILED', /found 3/);
  });

  it('60 tokens run, 61 are refused', async () => {
    await expectExecuted(app, org, queryOfTokens(60));
    await expectRefused(app, org, queryOfTokens(61), 'GRAPHQL_PARSE_FAILED', /more that 60 tokens/);
  });

  it('cost counts the schema default of `first` when it is left out (documents: 20), and a `first` sent as a variable', async () => {
    // documents { edges { node { id title body } } }: node 1+3 = 4; edges 5; documents 1 + first*5.
    const withFirst = 'query ($id: ID!, $n: Int) { d: document(id: $id) { id } list: documents(first: $n) { edges { node { id title body } } } }';
    // d 2 + documents (1 + 20*5) = 103: runs
    await expectExecuted(app, org, 'query ($id: ID!) { d: document(id: $id) { id } documents { edges { node { id title body } } } }');
    // 2 + (1 + 35*5) = 178: runs; 2 + (1 + 36*5) = 183: refused
    await expectExecuted(app, org, withFirst, { n: 35 });
    await expectRefused(app, org, withFirst, 'QUERY_TOO_COMPLEX', /estimated cost 183 exceeds the limit of 180/, { n: 36 });
    // documents with its default (20) next to activity(first: 20): 2 + 2 * (1 + 20*5) = 204.
    // An estimator that ignored the default would count 2 + 6 + 101 = 109 and let it run.
    await expectRefused(
      app,
      org,
      'query ($id: ID!) { d: document(id: $id) { id } documents { edges { node { id title body } } } activity(first: 20) { edges { node { id action targetId } } } }',
      'QUERY_TOO_COMPLEX',
      /estimated cost 204 /,
    );
  });

  it('cost counts `@complexity(value: 100)` (login, signUp): one login (101) runs, two (202) are refused before execution', async () => {
    const login = (alias: string) => `${alias}: login(input: { email: "nobody@example.test", password: "not the password" }) { accessToken }`;
    const one = await ask(app, org, `mutation { ${login('a')} }`);
    expect(one.body.errors?.map((e) => e.extensions?.code), one.raw).toEqual(['UNAUTHENTICATED']);
    await expectRefused(app, org, `mutation { ${login('a')} ${login('b')} }`, 'QUERY_TOO_COMPLEX', /estimated cost 202 exceeds the limit of 180/);
  });

  it('a body of 2048 bytes is accepted, 2049 is refused with 413', async () => {
    expect((await post(app, bodyOfBytes(2048))).status).toBe(200);
    const res = await post(app, bodyOfBytes(2049));
    expect(res.status).toBe(413);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('CORS: an allowed origin gets the header, with x-request-id exposed; another origin does not', async () => {
    const allowed = await post(app, JSON.stringify({ query: '{ __typename }' }), { origin: ALLOWED });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);

    const other = await post(app, JSON.stringify({ query: '{ __typename }' }), { origin: 'https://evil.example.com' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // A look-alike is not the allowed origin.
    const lookalike = await post(app, JSON.stringify({ query: '{ __typename }' }), { origin: `${ALLOWED}.evil.example.com` });
    expect(lookalike.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('CORS preflight: answered for an allowed origin with the headers a client needs; not for another', async () => {
    const preflight = (origin: string) =>
      fetch(app.graphqlUrl, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
    const ok = await preflight(ALLOWED);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/content-type/);

    const other = await preflight('https://evil.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the @complexity estimator', () => {
  // No field of the schema uses `multipliers` yet; a schema of our directives plus one that does.
  const schema = makeExecutableSchema({
    typeDefs: [
      loadTypeDefs().find((sdl) => sdl.includes('directive @complexity'))!,
      'type Query { items(count: Int): [Item!]! @complexity(value: 10, multipliers: ["count"]) plain: Int }',
      'type Item { id: ID! }',
    ],
  });
  const cost = (query: string, variables: Record<string, unknown> = {}) => {
    const document = parse(query);
    return estimateCost(schema, document, getOperationAST(document)!, variables);
  };

  it('costs (value + children) x the multiplier argument', () => {
    expect(cost('{ items(count: 5) { id } }')).toBe((10 + 1) * 5);
    expect(cost('query ($n: Int) { items(count: $n) { id } }', { n: 3 })).toBe((10 + 1) * 3);
    expect(cost('{ items { id } plain }')).toBe(10 + 1 + 1);
  });

  it('a multiplier of 0 or below counts as the largest page (100), never shrinking the estimate of its siblings', () => {
    for (const n of [0, -1, -1_000_000]) expect(cost('query ($n: Int) { items(count: $n) { id } }', { n })).toBe((10 + 1) * 100);
  });

  it('variables that do not coerce give no estimate (execution refuses them)', () => {
    expect(cost('query ($n: Int) { items(count: $n) { id } }', { n: 'many' })).toBeNull();
  });
});
