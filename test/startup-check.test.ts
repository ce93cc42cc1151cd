import { makeExecutableSchema } from '@graphql-tools/schema';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../src/config/index.js';
import { tenantFilteredEntities } from '../src/db/entities/index.js';
import { connectOrm, type Orm } from '../src/db/orm.js';
import { buildSchema, loadTypeDefs, resolvers } from '../src/graphql/schema.js';
import { typeEntities } from '../src/graphql/type-entities.js';
import { createServer } from '../src/server.js';
import { TenancyCheckError, tenancyProblems } from '../src/tenancy/startup-check.js';
import { TEST_JWT_SECRET } from './support/app.js';
import { createTestDatabase } from './support/database.js';

let config: AppConfig;
let orm: Orm;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  const url = await createTestDatabase();
  config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: url });
  orm = await connectOrm({ clientUrl: url, mode: config.mode, poolMax: 2 });
});
afterAll(() => orm?.close());

/** The real SDL with exactly one occurrence of `from` replaced (the test fails if it is not found exactly once). */
function sdlWith(from: string, to: string): string[] {
  const typeDefs = loadTypeDefs();
  const hits = typeDefs.join('\n').split(from).length - 1;
  expect(hits, `"${from}" occurs once in schema/*.graphql`).toBe(1);
  return typeDefs.map((sdl) => sdl.replace(from, to));
}

/** The real SDL plus `extra`. */
function sdlPlus(extra: string): string[] {
  return [...loadTypeDefs(), extra];
}

async function startupError(typeDefs: string[]): Promise<TenancyCheckError> {
  const err = await createServer({ config, orm, logger, typeDefs }).then(
    async (app) => {
      await app.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err, 'createServer refuses the schema').toBeInstanceOf(TenancyCheckError);
  return err as TenancyCheckError;
}

describe('start-up tenancy check', () => {
  it('refuses a type backed by a tenant-owned entity without @tenantScoped, naming it', async () => {
    const err = await startupError(sdlWith('type Document @tenantScoped {', 'type Document {'));
    expect(err.message).toMatch(/refusing to start/);
    expect(err.message).toMatch(/type Document is backed by tenant-owned entity Document but is not @tenantScoped/);
    // Document's own fields lose their scope with it: the one that takes arguments and reaches
    // comments is named too.
    expect(err.problems).toEqual([
      'type Document is backed by tenant-owned entity Document but is not @tenantScoped',
      expect.stringMatching(/^Document\.comments carries neither /),
      expect.stringMatching(/^Document\.comments returns Comment, which carries tenant data/),
      expect.stringMatching(/^Document\.files returns File, which carries tenant data/),
    ]);
  });

  it('refuses a root field returning a scoped type without @tenantScoped, naming the field', async () => {
    const field = 'documents(first: Int = 20, after: String, filter: DocumentFilter): DocumentConnection!';
    const err = await startupError(sdlWith(`${field} @tenantScoped`, field));
    expect(err.message).toContain('Query.documents');
    expect(err.problems).toEqual([
      expect.stringMatching(/^Query\.documents carries neither @tenantScoped nor @unscoped/),
      'Query.documents returns DocumentConnection, which carries tenant data (@tenantScoped type DocumentConnection), but neither the field nor type Query is @tenantScoped',
    ]);
  });

  it('refuses a mutation returning a scoped type without @tenantScoped', async () => {
    const create = 'createDocument(input: CreateDocumentInput!): Document!';
    const err = await startupError(sdlWith(`${create} @tenantScoped`, create));
    expect(err.problems).toEqual([expect.stringMatching(/^Mutation\.createDocument carries neither/), expect.stringMatching(/^Mutation\.createDocument returns Document, /)]);
  });

  // These take a tenant-owned id and return only an ID: their return type says nothing.
  for (const field of ['deleteDocument(id: ID!): ID!', 'removeMember(userId: ID!): ID!']) {
    const name = field.slice(0, field.indexOf('('));
    it(`refuses Mutation.${name} without @tenantScoped, naming it`, async () => {
      const err = await startupError(sdlWith(`${field} @tenantScoped`, field));
      expect(err.problems).toEqual([
        `Mutation.${name} carries neither @tenantScoped nor @unscoped(reason: "..."): it takes arguments (${name === 'deleteDocument' ? 'id' : 'userId'}), so it must declare whether it needs an active organization`,
      ]);
    });
  }

  it('refuses a root field with neither directive, even one returning no tenant data', async () => {
    const err = await startupError(sdlPlus('extend type Query { serverTime: String }'));
    expect(err.problems).toEqual([
      'Query.serverTime carries neither @tenantScoped nor @unscoped(reason: "..."): it is a root field, so it must declare whether it needs an active organization',
    ]);
  });

  it('refuses @unscoped with an empty or blank reason', async () => {
    for (const reason of ['""', '"   "']) {
      const err = await startupError(sdlPlus(`extend type Query { serverTime: String @unscoped(reason: ${reason}) }`));
      expect(err.problems).toEqual(['Query.serverTime is @unscoped with an empty reason: say why it needs no organization']);
    }
  });

  it('refuses a field carrying both @tenantScoped and @unscoped', async () => {
    const err = await startupError(sdlPlus('extend type Query { serverTime: String @tenantScoped @unscoped(reason: "clock") }'));
    expect(err.problems).toEqual(['Query.serverTime carries both @tenantScoped and @unscoped: keep exactly one']);
  });

  it('refuses @unscoped on a field of a @tenantScoped type (it would not take effect)', async () => {
    const err = await startupError(sdlPlus('extend type Document { wordCount: Int @unscoped(reason: "a number") }'));
    expect(err.problems).toEqual(['Document.wordCount is @unscoped on a @tenantScoped type, whose scope applies anyway: remove @unscoped']);
  });

  it('refuses an @unscoped root field returning a scoped type', async () => {
    const err = await startupError(sdlPlus('extend type Query { sampleDocument: Document @unscoped(reason: "a demo") }'));
    expect(err.problems).toEqual([
      'Query.sampleDocument is @unscoped but returns Document, which carries tenant data (@tenantScoped type Document)',
    ]);
  });

  it('refuses a field of a non-root type that reaches tenant data unscoped', async () => {
    const err = await startupError(sdlPlus('extend type User { authored: [Document!]! }'));
    expect(err.problems).toEqual([
      'User.authored returns Document, which carries tenant data (@tenantScoped type Document), but neither the field nor type User is @tenantScoped',
    ]);
  });

  it('refuses a field with arguments on an unscoped type that declares nothing', async () => {
    const err = await startupError(sdlPlus('extend type User { isAuthorOf(documentId: ID!): Boolean! }'));
    expect(err.problems).toEqual([expect.stringMatching(/^User\.isAuthorOf carries neither .*takes arguments \(documentId\)/)]);
  });

  it('refuses fields returning a union with a @tenantScoped member', async () => {
    const union = 'union SearchHit = User | Document';
    const root = await startupError(sdlPlus(`${union}\nextend type Query { search(text: String!): [SearchHit!]! @unscoped(reason: "global search") }`));
    expect(root.problems).toEqual(['Query.search is @unscoped but returns SearchHit, which carries tenant data (union SearchHit with @tenantScoped member Document)']);
    const nested = await startupError(sdlPlus(`${union}\nextend type Viewer { lastHit: SearchHit }`));
    expect(nested.problems).toEqual([expect.stringMatching(/^Viewer\.lastHit returns SearchHit, which carries tenant data \(union SearchHit with @tenantScoped member Document\)/)]);
  });

  it('refuses fields returning an interface with a @tenantScoped implementation', async () => {
    const iface = 'interface Node { id: ID! }\nextend type User implements Node\nextend type Document implements Node';
    const err = await startupError(sdlPlus(`${iface}\nextend type Query { node(id: ID!): Node @unscoped(reason: "global ids") }`));
    expect(err.problems).toEqual(['Query.node is @unscoped but returns Node, which carries tenant data (interface Node with @tenantScoped implementation Document)']);
  });

  it('refuses a subscription field that declares nothing, and accepts it @tenantScoped', async () => {
    const err = await startupError(sdlPlus('type Subscription { documentChanged: Document! }'));
    expect(err.problems).toEqual([expect.stringMatching(/^Subscription\.documentChanged carries neither/), expect.stringMatching(/^Subscription\.documentChanged returns Document, /)]);
    const app = await createServer({ config, orm, logger, typeDefs: sdlPlus('type Subscription { documentChanged: Document! @tenantScoped }') });
    await app.close();
  });

  it('refuses a schema whose scoped fields were not wrapped by the directive', () => {
    const unwrapped = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
    const problems = tenancyProblems(unwrapped, orm.getMetadata(), tenantFilteredEntities.map((e) => e.meta.className), typeEntities);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^@tenantScoped fields without the directive's guard \(the schema was not built through applyTenantScoped\): /);
    expect(problems[0]).toContain('Query.documents');
    expect(problems[0]).toContain('Mutation.deleteDocument');
    expect(problems[0]).toContain('Document.title');
  });

  it("refuses a subscription whose subscribe (the event stream) is not behind the directive's guard", () => {
    const wrapped = buildSchema(sdlPlus('type Subscription { documentChanged: Document! @tenantScoped }'));
    const check = (schema: GraphQLSchema) => tenancyProblems(schema, orm.getMetadata(), tenantFilteredEntities.map((e) => e.meta.className), typeEntities);
    expect(check(wrapped)).toEqual([]);
    // The same schema with only `resolve` guarded, as a wrapper that forgot `subscribe` leaves it.
    const resolveOnly = mapSchema(wrapped, {
      [MapperKind.SUBSCRIPTION_ROOT_FIELD]: (field) => ({ ...field, subscribe: async function* () {} }),
    });
    expect(check(resolveOnly)).toEqual([expect.stringMatching(/without the directive's guard .*: Subscription\.documentChanged$/)]);
  });

  it('accepts a field scoped through the interface field it implements', async () => {
    const sdl = 'interface Authored { lastDocument: Document @tenantScoped }\nextend type User implements Authored\nextend type User { lastDocument: Document }';
    const app = await createServer({ config, orm, logger, typeDefs: sdlPlus(sdl) });
    await app.close();
  });

  it('accepts the schema as shipped', async () => {
    const app = await createServer({ config, orm, logger, typeDefs: loadTypeDefs() });
    await app.close();
    expect(tenancyProblems(buildSchema(), orm.getMetadata(), tenantFilteredEntities.map((e) => e.meta.className), typeEntities)).toEqual([]);
  });

  it('tenancyProblems names an entity with organizationId that the filter does not cover', () => {
    const covered = tenantFilteredEntities.map((e) => e.meta.className).filter((name) => name !== 'Document');
    expect(covered.length).toBeGreaterThan(0);
    const problems = tenancyProblems(buildSchema(), orm.getMetadata(), covered, typeEntities);
    expect(problems).toEqual([expect.stringMatching(/^entity Document has organizationId but the tenant filter does not cover it/)]);
  });

  it('tenancyProblems names a mapped type that is missing from the schema', () => {
    const problems = tenancyProblems(buildSchema(), orm.getMetadata(), tenantFilteredEntities.map((e) => e.meta.className), {
      ...typeEntities,
      Invoice: 'Document',
    });
    expect(problems).toEqual([expect.stringMatching(/type Invoice is mapped to entity Document but is not in the schema/)]);
  });
});
