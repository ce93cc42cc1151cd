import { randomBytes, randomUUID } from 'node:crypto';
import { getDirective } from '@graphql-tools/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivityDocument,
  AddCommentDocument,
  CreateDocumentDocument,
  DeleteDocumentDocument,
  LoginDocument,
  RemoveMemberDocument,
  SwitchOrganizationDocument,
  UpdateDocumentDocument,
} from '../src/client/generated/graphql.js';
import { buildSchema } from '../src/graphql/schema.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, TEST_PASSWORD, tokenFor, type TestOrg } from './support/factories.js';
import { codes, gql, type GraphQLResponse } from './support/graphql.js';
import { buildCall, type KnownValues, type Slot } from './support/sweep-helpers.js';
import { signHs256, tamper } from './support/tokens-helpers.js';

// What the audit trail records of refused attempts (README, "The API"): every refusal of an
// action on an organization's data, once the request has reached that action (a role too low, an
// unknown or another organization's id, the action's own rules), in the caller's organization;
// and nothing for refusals before that (malformed input, edge and rate limits, bad tokens, an
// organization the caller does not belong to), which anyone could send by the million.

let app: TestApp;
let a: TestOrg;
let b: TestOrg;
beforeAll(async () => {
  app = await startApp({ RATE_LIMIT_ENABLED: 'false' });
  [a, b] = await Promise.all([
    createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'], documents: 2 }),
    createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 1 }),
  ]);
});
afterAll(() => app?.close());

const user = (org: TestOrg, role: string) => org.users.find((u) => u.role === role)!;
const newRequestId = (what: string) => `${what}-${randomBytes(6).toString('hex')}`;

interface EventRow {
  organization_id: string;
  action: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
}

/** Every audit event written for a request id, in any organization (read as the table owner). */
const eventsOf = (requestId: string) =>
  withSql(app.databaseUrl, async (c) =>
    (await c.query<EventRow>('select organization_id, action, actor_id, target_type, target_id from activity_event where request_id = $1', [requestId])).rows,
  );
const eventCount = () => withSql(app.databaseUrl, async (c) => (await c.query<{ n: number }>('select count(*)::int as n from activity_event')).rows[0]!.n);

/** Sends `document` with a request id of its own; returns the response and the id. */
async function attempt<T, V>(target: Pick<TestApp, 'graphqlUrl'>, document: Parameters<typeof gql<T, V>>[1], variables: V, token?: string, headers: Record<string, string> = {}) {
  const requestId = newRequestId('attempt');
  const res = await gql(target, document, variables, { token, headers: { 'x-request-id': requestId, ...headers } });
  expect(res.requestId, 'the server kept the request id').toBe(requestId);
  return { res, requestId };
}

describe('recorded: refusals of an action on the organization\'s data', () => {
  const UNKNOWN = randomUUID();
  /** `target`: the event's target type and id. */
  const cases: { what: string; code: string; action: string; run: () => Promise<{ res: GraphQLResponse<unknown>; requestId: string }>; actor: () => string; target: () => [string | null, string | null] }[] = [
    {
      what: 'a role too low for a change (VIEWER creating a document)',
      code: 'FORBIDDEN',
      action: 'document.create.denied',
      run: () => attempt(app, CreateDocumentDocument, { input: { title: 'not allowed' } }, user(a, 'VIEWER').token),
      actor: () => user(a, 'VIEWER').id,
      target: () => ['Document', null],
    },
    {
      what: 'a role too low for a read (MEMBER reading the activity log)',
      code: 'FORBIDDEN',
      action: 'activity.read.denied',
      run: () => attempt(app, ActivityDocument, {}, user(a, 'MEMBER').token),
      actor: () => user(a, 'MEMBER').id,
      target: () => [null, null],
    },
    {
      what: 'a role too low for a read (VIEWER reading the activity log)',
      code: 'FORBIDDEN',
      action: 'activity.read.denied',
      run: () => attempt(app, ActivityDocument, {}, user(a, 'VIEWER').token),
      actor: () => user(a, 'VIEWER').id,
      target: () => [null, null],
    },
    {
      what: "an action's own role rule (MEMBER deleting another member's document)",
      code: 'FORBIDDEN',
      action: 'document.delete.denied',
      run: () => attempt(app, DeleteDocumentDocument, { id: a.documents[0]!.id }, user(a, 'MEMBER').token),
      actor: () => user(a, 'MEMBER').id,
      target: () => ['Document', a.documents[0]!.id],
    },
    {
      what: "an action's own role rule (ADMIN removing an OWNER)",
      code: 'FORBIDDEN',
      action: 'member.remove.denied',
      run: () => attempt(app, RemoveMemberDocument, { userId: a.owner.id }, user(a, 'ADMIN').token),
      actor: () => user(a, 'ADMIN').id,
      target: () => ['User', a.owner.id],
    },
    {
      what: "an action's own rule (the last OWNER leaving)",
      code: 'BAD_USER_INPUT',
      action: 'member.remove.denied',
      run: () => attempt(app, RemoveMemberDocument, { userId: a.owner.id }, a.owner.token),
      actor: () => a.owner.id,
      target: () => ['User', a.owner.id],
    },
    {
      what: 'an unknown id (updating)',
      code: 'NOT_FOUND',
      action: 'document.update.denied',
      run: () => attempt(app, UpdateDocumentDocument, { id: UNKNOWN, input: { title: 'x' } }, user(a, 'MEMBER').token),
      actor: () => user(a, 'MEMBER').id,
      target: () => ['Document', UNKNOWN],
    },
    {
      what: "another organization's id (commenting on B's document)",
      code: 'NOT_FOUND',
      action: 'comment.create.denied',
      run: () => attempt(app, AddCommentDocument, { documentId: b.documents[0]!.id, body: 'hello' }, user(a, 'MEMBER').token),
      actor: () => user(a, 'MEMBER').id,
      target: () => ['Document', b.documents[0]!.id],
    },
  ];

  it.each(cases.map((c) => [c.what, c] as const))('%s: one `.denied` event in the caller\'s organization, nothing else written', async (_what, c) => {
    const before = await eventCount();
    const { res, requestId } = await c.run();
    expect(codes(res), res.raw).toEqual([c.code]);
    expect(res.data ?? null, res.raw).toBeNull();
    expect(await eventsOf(requestId)).toEqual([
      { organization_id: a.id, action: c.action, actor_id: c.actor(), target_type: c.target()[0], target_id: c.target()[1] },
    ]);
    expect(await eventCount()).toBe(before + 1);
  });

  it("the refusal's event is readable in the caller's trail, with the message unchanged for the client", async () => {
    const { res, requestId } = await attempt(app, RemoveMemberDocument, { userId: a.owner.id }, a.owner.token);
    expect(res.errors?.map((e) => e.message)).toEqual(['The last OWNER cannot be removed.']);
    const trail = await gql(app, ActivityDocument, { first: 100 }, { token: a.owner.token });
    const mine = trail.data!.activity.edges.map((e) => e.node).filter((n) => n.requestId === requestId);
    expect(mine).toEqual([expect.objectContaining({ action: 'member.remove.denied', targetId: a.owner.id, actor: { id: a.owner.id } })]);
    // Nothing changed: A still has its OWNER.
    expect((await withSql(app.databaseUrl, (c) => c.query('select role from membership where organization_id = $1 and user_id = $2', [a.id, a.owner.id]))).rows).toEqual([{ role: 'OWNER' }]);
  });
});

describe('not recorded: refusals before a request reaches an organization\'s action', () => {
  let limited: TestApp;
  let edge: TestApp;
  beforeAll(async () => {
    // Same database, so the trail checked is the same one.
    [limited, edge] = await Promise.all([
      startApp({ RATE_LIMIT_POINTS: '6', RATE_LIMIT_WINDOW_SECONDS: '60' }, app.databaseUrl),
      startApp({ MAX_QUERY_DEPTH: '3', MAX_ALIASES: '2', MAX_QUERY_COST: '60' }, app.databaseUrl),
    ]);
  });
  afterAll(async () => {
    await limited?.close();
    await edge?.close();
  });

  const viewer = () => user(a, 'VIEWER').token;
  const member = () => user(a, 'MEMBER').token;
  const now = () => Math.floor(Date.now() / 1000);
  const claimsOf = (u: { id: string }, org: string) => ({ sub: u.id, org_id: org, iss: app.config.jwt.issuer, aud: app.config.jwt.audience });
  /** Each would be a recorded refusal (or a change) had it reached the action. */
  const cases: [string, string, () => Promise<{ res: GraphQLResponse<unknown>; requestId: string }>][] = [
    ['a malformed id', 'BAD_USER_INPUT', () => attempt(app, UpdateDocumentDocument, { id: 'not-a-uuid', input: { title: 'x' } }, viewer())],
    ['a malformed id, from a role that would be refused', 'BAD_USER_INPUT', () => attempt(app, DeleteDocumentDocument, { id: `${randomUUID()}x` }, viewer())],
    ['too long a value', 'BAD_USER_INPUT', () => attempt(app, CreateDocumentDocument, { input: { title: 'x'.repeat(201) } }, member())],
    ['control characters', 'BAD_USER_INPUT', () => attempt(app, CreateDocumentDocument, { input: { title: 'a\u0000b' } }, member())],
    ['a bad page size on the activity log', 'BAD_USER_INPUT', () => attempt(app, ActivityDocument, { first: 0 }, user(a, 'ADMIN').token)],
    ['a parse error', 'GRAPHQL_PARSE_FAILED', () => attempt(app, 'mutation { createDocument(', {}, viewer())],
    ['an unknown field', 'GRAPHQL_VALIDATION_FAILED', () => attempt(app, '{ documentz { edges { cursor } } }', {}, viewer())],
    ['over the depth limit', 'GRAPHQL_VALIDATION_FAILED', () => attempt(edge, '{ documents { edges { node { createdBy { id } } } } }', {}, viewer())],
    ['over the alias limit', 'GRAPHQL_VALIDATION_FAILED', () => attempt(edge, '{ a: organization { id } b: organization { id } c: organization { id } }', {}, viewer())],
    ['over the cost limit', 'QUERY_TOO_COMPLEX', () => attempt(edge, '{ documents(first: 100) { edges { cursor } } }', {}, viewer())],
    ['a tampered token', 'UNAUTHENTICATED', () => attempt(app, CreateDocumentDocument, { input: { title: 'x' } }, tamper(viewer(), { org_id: a.id, sub: a.owner.id }))],
    [
      'an expired token',
      'UNAUTHENTICATED',
      async () => attempt(app, ActivityDocument, {}, await signHs256(app.config.jwt.secret, { ...claimsOf(user(a, 'MEMBER'), a.id), iat: now() - 100, exp: now() - 5 })),
    ],
    ['a token naming an organization the user does not belong to', 'FORBIDDEN', async () => attempt(app, ActivityDocument, {}, await tokenFor(app, user(a, 'MEMBER').id, b.id))],
    ['switching to an organization the user does not belong to', 'FORBIDDEN', () => attempt(app, SwitchOrganizationDocument, { organizationId: b.id }, member())],
    [
      'signing in to an organization the user does not belong to',
      'FORBIDDEN',
      () => attempt(app, LoginDocument, { input: { email: user(a, 'MEMBER').email, password: TEST_PASSWORD, organizationId: b.id } }),
    ],
    [
      "over the organization's request budget",
      'RATE_LIMITED',
      async () => {
        // Spend the budget (6 points) with cheap reads until one is refused.
        let spent = false;
        for (let i = 0; i < 10 && !spent; i++) spent = codes(await gql(limited, '{ me { role } }', {}, { token: viewer() })).includes('RATE_LIMITED');
        expect(spent, 'the budget was spent').toBe(true);
        return attempt(limited, CreateDocumentDocument, { input: { title: 'x' } }, viewer());
      },
    ],
  ];

  it.each(cases)('%s: %s, and no event in any organization', async (_what, code, run) => {
    const before = await eventCount();
    const { res, requestId } = await run();
    expect(codes(res), res.raw).toEqual([code]);
    expect(await eventsOf(requestId)).toEqual([]);
    expect(await eventCount()).toBe(before);
  });
});

describe('sweep: every refusal of every @tenantScoped root field is recorded', () => {
  // Derived from the schema, so a new field (and its refusals) is swept without an edit here.
  // Each field is called by each role with generated arguments (random ids, plain text); any
  // FORBIDDEN or NOT_FOUND answer must have written exactly one `.denied` event by the caller
  // in the caller's organization, and no other answer more than one.
  const schema = buildSchema();
  const fields = (['query', 'mutation'] as const).flatMap((operation) => {
    const root = operation === 'query' ? schema.getQueryType() : schema.getMutationType();
    return Object.values(root?.getFields() ?? {})
      .filter((field) => getDirective(schema, field, 'tenantScoped')?.length)
      .map((field): Slot => ({ operation, field, path: [], kind: 'id', label: `${operation}.${field.name}` }));
  });

  it('finds the scoped root fields', () => {
    expect(fields.map((f) => f.label)).toEqual(expect.arrayContaining(['query.activity', 'query.document', 'mutation.createDocument', 'mutation.removeMember', 'mutation.addComment']));
  });

  it('each role, each field: FORBIDDEN and NOT_FOUND answers are recorded once, in the caller\'s organization', async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'], documents: 1 });
    const outsider = await createOrg(app);
    const known: KnownValues = { email: outsider.owner.email, body: 'sweep body', title: 'sweep title' };
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const role of ['VIEWER', 'MEMBER', 'ADMIN', 'OWNER']) {
      const caller = user(org, role);
      for (const slot of fields) {
        const call = buildCall(slot, undefined, known);
        const requestId = newRequestId('sweep');
        const res = await gql(app, call.query, call.variables as never, { token: caller.token, headers: { 'x-request-id': requestId } });
        const answer = codes(res).map(String);
        const events = await eventsOf(requestId);
        const where = `${slot.label} as ${role} (${answer.join(', ') || 'served'})`;
        answer.forEach((code) => seen.add(code));
        const denied = events.filter((e) => e.action.endsWith('.denied'));
        if (answer.includes('FORBIDDEN') || answer.includes('NOT_FOUND')) {
          if (denied.length !== 1 || events.length !== 1) problems.push(`${where}: ${events.length} events, expected one .denied: ${JSON.stringify(events)}`);
          else if (denied[0]!.organization_id !== org.id || denied[0]!.actor_id !== caller.id) problems.push(`${where}: recorded elsewhere: ${JSON.stringify(denied[0])}`);
        } else if (denied.length > 1 || events.length > 1) {
          problems.push(`${where}: ${events.length} events: ${JSON.stringify(events)}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // The sweep reached refusals of both kinds, or it proved nothing.
    expect([...seen]).toEqual(expect.arrayContaining(['FORBIDDEN', 'NOT_FOUND']));
  });
});
