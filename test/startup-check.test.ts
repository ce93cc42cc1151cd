import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../src/config/index.js';
import { tenantFilteredEntities } from '../src/db/entities/index.js';
import { connectOrm, type Orm } from '../src/db/orm.js';
import { buildSchema, loadTypeDefs } from '../src/graphql/schema.js';
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
    expect(err.problems).toEqual([expect.stringMatching(/\btype Document\b/)]);
  });

  it('refuses a root field returning a scoped type without @tenantScoped, naming the field', async () => {
    const field = 'documents(first: Int = 20, after: String, filter: DocumentFilter): DocumentConnection!';
    const err = await startupError(sdlWith(`${field} @tenantScoped`, field));
    expect(err.message).toContain('Query.documents');
    expect(err.problems).toEqual([expect.stringMatching(/^Query\.documents returns @tenantScoped type DocumentConnection/)]);
  });

  it('refuses a mutation returning a scoped type without @tenantScoped', async () => {
    const create = 'createDocument(input: CreateDocumentInput!): Document!';
    const err = await startupError(sdlWith(`${create} @tenantScoped`, create));
    expect(err.problems).toEqual([expect.stringMatching(/^Mutation\.createDocument /)]);
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
