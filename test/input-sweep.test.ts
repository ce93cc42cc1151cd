import { randomUUID } from 'node:crypto';
import { getNamedType } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../src/graphql/schema.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, TEST_PASSWORD, type TestOrg } from './support/factories.js';
import {
  hostileBody,
  hostileValues,
  inPool,
  logCapture,
  post,
  refusalProblem,
  tableFingerprints,
} from './support/input-sweep-helpers.js';
import { buildCall, inputPositions, type KnownValues } from './support/sweep-helpers.js';

// The input sweep: every argument of every Query and Mutation field, and every field of the
// input objects they take, gets families of hostile values (forbidden characters, very long
// strings, deep nesting, out-of-range numbers and dates, forged cursors, misspelt enums, wrong
// types), anonymously and as a signed-in OWNER (so tenant fields reach their resolvers). Each
// must be refused with a client error code below HTTP 500; nothing may be logged above `warn`
// and no table may change. The positions and the values come from the schema: a new field is
// swept without an edit here.

const schema = buildSchema();
const positions = inputPositions(schema);
const logs = logCapture();

/** Refusals of the generated call itself: when a benign value gets these, the sweep's calls are malformed and prove nothing. */
const MALFORMED = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'INTERNAL_SERVER_ERROR', 'RATE_LIMITED']);

let app: TestApp;
let org: TestOrg;
let known: KnownValues;
/** The table owner's plain connection (no row-level security), for the fingerprints. */
let owner: pg.Client;

beforeAll(async () => {
  app = await startApp(
    {
      LOG_LEVEL: 'warn',
      // Limits are not what this file tests (login throttling is always on): high enough that nothing here is throttled.
      RATE_LIMIT_POINTS: '10000000',
      RATE_LIMIT_ANONYMOUS_POINTS: '10000000',
      LOGIN_MAX_FAILURES_PER_EMAIL: '10000',
      LOGIN_MAX_FAILURES_PER_IP: '100000',
    },
    undefined,
    { logStream: logs.stream },
  );
  owner = new pg.Client({ connectionString: app.databaseUrl });
  await owner.connect();
  org = await createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 3 });
  // Real values wherever a position is not the one under test, so a hostile value reaches the
  // code behind a real row (an update of a document that exists, a sign-in that succeeds).
  known = {
    email: org.owner.email,
    password: TEST_PASSWORD,
    id: org.documents[0]!.id,
    documentId: org.documents[0]!.id,
    userId: org.users[1]!.id,
    organizationId: org.id,
  };
});
afterAll(async () => {
  await owner?.end();
  await app?.close();
});

const callers = () => [
  { who: 'anonymous', token: undefined },
  { who: 'OWNER', token: org.owner.token },
];

describe('input sweep over the schema', () => {
  it('finds every argument and input field of the known fields, with hostile values for each', () => {
    const labels = positions.map((p) => p.label);
    expect(labels).toEqual(
      expect.arrayContaining([
        'Query.documents(first)',
        'Query.documents(after)',
        'Query.documents(filter)',
        'Query.documents(filter.titleContains)',
        'Query.activity(after)',
        'Query.document(id)',
        'Mutation.login(input)',
        'Mutation.login(input.email)',
        'Mutation.login(input.organizationId)',
        'Mutation.updateDocument(input.body)',
        'Mutation.addComment(body)',
      ]),
    );
    for (const p of positions) expect(hostileValues(p).length, p.label).toBeGreaterThanOrEqual(4);
    const afterValues = hostileValues(positions.find((p) => p.label === 'Query.activity(after)')!).map((h) => h.name);
    expect(afterValues).toEqual(expect.arrayContaining(['cursor: year 275760 (JavaScript maximum)', 'cursor: an extra element', 'cursor: a number for the id']));
    // Every page size (`first`, on every list field) gets the in-range-Int, out-of-page-range values.
    const pages = positions.filter((p) => p.path[p.path.length - 1] === 'first');
    expect(pages.map((p) => p.label)).toEqual(expect.arrayContaining(['Query.documents(first)', 'Query.activity(first)']));
    for (const p of pages) expect(hostileValues(p).filter((h) => h.expectCode === 'BAD_USER_INPUT').map((h) => h.value), p.label).toEqual([0, -1, 101, 1_000_000, 2 ** 31 - 1]);
  });

  it.each(positions.map((position) => ({ label: position.label, position })))(
    '$label: every hostile value is a client error, anonymously and as OWNER; nothing logged above warn; no table changes',
    async ({ position }) => {
      const problems: string[] = [];
      const firstLine = logs.count;
      // Controls: the generated call with a benign value is well-formed, or the refusals below
      // prove nothing (a random id where the position takes one, so no known row is touched).
      const benign = getNamedType(position.type).name === 'ID' ? randomUUID() : undefined;
      for (const { who, token } of callers()) {
        const control = await post(app.graphqlUrl, JSON.stringify(buildCall(position, benign, known)), token);
        if (control.status >= 500 || control.codes.some((c) => MALFORMED.has(String(c)))) {
          problems.push(`${who}, control: the generated call itself fails (HTTP ${control.status}): ${control.raw.slice(0, 300)}`);
        }
      }

      const before = await tableFingerprints(owner);
      const calls = callers().flatMap(({ who, token }) => hostileValues(position).map((hostile) => ({ who, token, hostile })));
      await inPool(calls, 4, async ({ who, token, hostile }) => {
        const answer = await post(app.graphqlUrl, hostileBody(position, hostile, known), token);
        const problem = refusalProblem(answer, hostile.expectCode);
        if (problem) problems.push(`${who}, ${hostile.name}: ${problem}: ${answer.raw.slice(0, 300)}`);
      });
      const after = await tableFingerprints(owner);
      for (const table of Object.keys({ ...before, ...after })) if (before[table] !== after[table]) problems.push(`table ${table} changed`);
      for (const line of logs.aboveWarn(firstLine)) problems.push(`logged above warn: ${line.raw.slice(0, 400)}`);
      expect(problems).toEqual([]);
    },
  );
});
