import { getNamedType, isInputObjectType, isNonNullType, Kind, parse, typeFromAST, type GraphQLInputType, type OperationDefinitionNode } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentsDocument, MeDocument } from '../src/client/generated/graphql.js';
import manifestJson from '../src/client/generated/persisted-documents.json' with { type: 'json' };
import { buildSchema } from '../src/graphql/schema.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, TEST_PASSWORD, type TestOrg } from './support/factories.js';
import { bodyText, hostileValues, inPool, logCapture, post, refusalProblem, tableFingerprints } from './support/input-sweep-helpers.js';
import { valueFor, type InputPosition, type KnownValues } from './support/sweep-helpers.js';
import { idOf, postJson } from './support/trusted-documents.js';

// A document named by id meets the same edge as the same text: the token, depth and cost
// limits, the input checks and the rate budget (the gate only swaps the id for the manifest's
// text, before Apollo parses anything). And the input sweep, through ids: every variable of every
// manifest operation, at any depth of its input objects, gets the sweep's hostile values.

const schema = buildSchema();
const manifest = manifestJson as Record<string, string>;

describe('the edge limits hold for documents named by id, as for their text', () => {
  let apps: TestApp[] = [];
  afterAll(() => Promise.all(apps.map((a) => a.close())));
  const start = async (env: Record<string, string>) => {
    const app = await startApp(env);
    apps.push(app);
    return { app, org: await createOrg(app, { documents: 2 }) };
  };

  /** The id and the text get the same refusal: HTTP 400, the code, no data. */
  async function expectSameRefusal(app: TestApp, org: TestOrg, document: typeof DocumentsDocument | typeof MeDocument, variables: Record<string, unknown>, code: string) {
    const byId = await postJson(app.graphqlUrl, { documentId: idOf(document), variables }, org.owner.token);
    const byText = await postJson(app.graphqlUrl, { query: manifest[idOf(document)], variables }, org.owner.token);
    for (const res of [byId, byText]) {
      expect([res.status, res.codes], res.raw).toEqual([400, [code]]);
      expect(res.body.data).toBeUndefined();
    }
  }

  it('MAX_TOKENS: GRAPHQL_PARSE_FAILED', async () => {
    const { app, org } = await start({ MAX_TOKENS: '30' });
    await expectSameRefusal(app, org, DocumentsDocument, { first: 5 }, 'GRAPHQL_PARSE_FAILED');
  });

  it('MAX_QUERY_DEPTH: GRAPHQL_VALIDATION_FAILED', async () => {
    const { app, org } = await start({ MAX_QUERY_DEPTH: '3' });
    await expectSameRefusal(app, org, DocumentsDocument, { first: 5 }, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('MAX_QUERY_COST: QUERY_TOO_COMPLEX, by the variables the id is sent with', async () => {
    const { app, org } = await start({ MAX_QUERY_COST: '300' });
    const small = await postJson(app.graphqlUrl, { documentId: idOf(DocumentsDocument), variables: { first: 2 } }, org.owner.token);
    expect(small.body.data?.documents?.edges?.length, small.raw).toBe(2);
    await expectSameRefusal(app, org, DocumentsDocument, { first: 100 }, 'QUERY_TOO_COMPLEX');
  });

  it('input checks: a control character in a variable or the operation name is BAD_USER_INPUT', async () => {
    const { app, org } = await start({});
    await expectSameRefusal(app, org, DocumentsDocument, { first: 5, filter: { titleContains: 'x\u0000y' } }, 'BAD_USER_INPUT');
    const named = await postJson(app.graphqlUrl, { documentId: idOf(MeDocument), operationName: 'Me\u001b' }, org.owner.token);
    expect([named.status, named.codes], named.raw).toEqual([400, ['BAD_USER_INPUT']]);
  });

  it('the rate budget is charged the estimate, as for text, until RATE_LIMITED', async () => {
    const { app, org } = await start({ RATE_LIMIT_POINTS: '1000' });
    let served = 0;
    let refused: unknown[] = [];
    for (let i = 0; i < 40 && refused.length === 0; i++) {
      const res = await postJson(app.graphqlUrl, { documentId: idOf(DocumentsDocument), variables: { first: 20 } }, org.owner.token);
      if (res.codes.length === 0) served++;
      else refused = res.codes;
    }
    // A 20-document page with its fields costs well over 100 points: the budget ends within a dozen pages, not at once.
    expect(refused).toEqual(['RATE_LIMITED']);
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(12);
  });
});

describe('the input sweep, through document ids', () => {
  const logs = logCapture();
  let app: TestApp;
  let org: TestOrg;
  let known: KnownValues;
  let owner: pg.Client;

  beforeAll(async () => {
    app = await startApp(
      { LOG_LEVEL: 'warn', RATE_LIMIT_POINTS: '10000000', RATE_LIMIT_ANONYMOUS_POINTS: '10000000', LOGIN_MAX_FAILURES_PER_EMAIL: '10000', LOGIN_MAX_FAILURES_PER_IP: '100000' },
      undefined,
      { logStream: logs.stream },
    );
    owner = new pg.Client({ connectionString: app.databaseUrl });
    await owner.connect();
    org = await createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 3 });
    known = { email: org.owner.email, password: TEST_PASSWORD, id: org.documents[0]!.id, documentId: org.documents[0]!.id, userId: org.users[1]!.id, organizationId: org.id };
  });
  afterAll(async () => {
    await owner?.end();
    await app?.close();
  });

  /** Each variable of an operation and each input-object field inside it, as the sweep's positions. */
  function variablePositions(operation: OperationDefinitionNode): { variables: { name: string; type: GraphQLInputType }[]; positions: InputPosition[] } {
    const variables = (operation.variableDefinitions ?? []).map((d) => ({ name: d.variable.name.value, type: typeFromAST(schema, d.type as never) as GraphQLInputType }));
    const positions: InputPosition[] = [];
    const walk = (type: GraphQLInputType, path: string[], seen: Set<string>) => {
      positions.push({ operation: 'query', field: undefined as never, path, type, label: `${operation.name!.value}($${path.join('.')})` });
      const named = getNamedType(type);
      if (!isInputObjectType(named) || seen.has(named.name)) return;
      for (const f of Object.values(named.getFields())) walk(f.type, [...path, f.name], new Set(seen).add(named.name));
    };
    for (const v of variables) walk(v.type, [v.name], new Set());
    return { variables, positions };
  }

  const operations = Object.entries(manifest).map(([id, text]) => ({
    id,
    operation: parse(text).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!,
  }));

  it('covers every manifest operation that takes variables', () => {
    const swept = operations.filter(({ operation }) => variablePositions(operation).positions.length > 0).map(({ operation }) => operation.name!.value);
    expect(swept).toEqual(expect.arrayContaining(['Documents', 'CreateDocument', 'UpdateDocument', 'Login', 'SignUp', 'AddComment', 'InviteMember', 'SwitchOrganization']));
  });

  it.each(operations.filter(({ operation }) => (operation.variableDefinitions ?? []).length > 0).map((o) => ({ name: o.operation.name!.value, ...o })))(
    '$name: every hostile value of every variable is a client error, anonymously and as OWNER; nothing logged above warn; no table changes',
    async ({ id, operation }) => {
      const problems: string[] = [];
      const firstLine = logs.count;
      const { variables, positions } = variablePositions(operation);
      const before = await tableFingerprints(owner);
      const calls = positions.flatMap((position) =>
        hostileValues(position)
          .filter((h) => !h.literal) // the document is the manifest's: no literal to put a value in
          .flatMap((hostile) => [undefined, org.owner.token].map((token) => ({ position, hostile, token }))),
      );
      await inPool(calls, 4, async ({ position, hostile, token }) => {
        const values: Record<string, unknown> = {};
        for (const v of variables) {
          const onPath = position.path[0] === v.name;
          if (onPath) values[v.name] = valueFor(v.type, v.name, { rest: position.path.slice(1), value: hostile.value, exact: true }, known);
          else if (isNonNullType(v.type)) values[v.name] = valueFor(v.type, v.name, null, known);
        }
        const answer = await post(app.graphqlUrl, bodyText({ documentId: id, variables: values }), token);
        const problem = refusalProblem(answer);
        if (problem) problems.push(`${token ? 'OWNER' : 'anonymous'}, ${position.label}, ${hostile.name}: ${problem}: ${answer.raw.slice(0, 300)}`);
      });
      const after = await tableFingerprints(owner);
      for (const table of Object.keys({ ...before, ...after })) if (before[table] !== after[table]) problems.push(`table ${table} changed`);
      for (const line of logs.aboveWarn(firstLine)) problems.push(`logged above warn: ${line.raw.slice(0, 400)}`);
      expect(calls.length).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    },
  );
});
