import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDocumentDocument,
  DocumentDocument,
  MeDocument,
  SwitchOrganizationDocument,
} from '../src/client/generated/graphql.js';
import { loadConfig } from '../src/config/index.js';
import { prepareDatabase, SingleTenantDatabaseError } from '../src/db/bootstrap.js';
import { Document } from '../src/db/entities/index.js';
import { connectOrm } from '../src/db/orm.js';
import { forkForTenant } from '../src/tenancy/tenant-entity-manager.js';
import { TENANT_FILTER } from '../src/tenancy/tenant-filter.js';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app.js';
import { createTestDatabase, withSql } from './support/database.js';
import { codes, gql, gqlOk } from './support/graphql.js';
import { signUpAndConfirm } from './support/mail.js';

const ORG = randomUUID();
let app: TestApp;

/** signUp, then confirmSignUp with the emailed token (`signUp` in the answer, as the tests below read it). */
const signUp = async (email: string) => ({
  signUp: await signUpAndConfirm(app, { email, password: 'long enough password', name: email.split('@')[0]!, organizationName: 'Ignored here' }),
});

beforeAll(async () => {
  // DATABASE_URL points nowhere useful: CUSTOMER_DATABASE_URL must win in single-tenant mode.
  app = await startApp({
    DEPLOYMENT_MODE: 'single_tenant',
    DEFAULT_ORGANIZATION_ID: ORG,
    DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/nothing',
    CUSTOMER_DATABASE_URL: await createTestDatabase(),
  });
});
afterAll(() => app?.close());

describe('single-tenant mode', () => {
  it('creates the default organization on first start and uses CUSTOMER_DATABASE_URL', async () => {
    const rows = await withSql(app.databaseUrl, (c) => c.query('select id from organization'));
    expect(rows.rows).toEqual([{ id: ORG }]);
  });

  it('signs users up into the one organization: the first is OWNER, the next MEMBER, tokens carry no organization', async () => {
    const first = await signUp(`first-${randomUUID()}@example.test`);
    const second = await signUp(`second-${randomUUID()}@example.test`);
    expect(first.signUp.organization?.id).toBe(ORG);
    expect(decodeJwt(first.signUp.accessToken).org_id).toBeUndefined();
    const me1 = await gqlOk(app, MeDocument, {}, { token: first.signUp.accessToken });
    const me2 = await gqlOk(app, MeDocument, {}, { token: second.signUp.accessToken });
    expect([me1.me.role, me2.me.role]).toEqual(['OWNER', 'MEMBER']);
    expect(me2.me.organization?.id).toBe(ORG);
  });

  it('stamps writes with the default organization and reads them back (the design guide\'s test)', async () => {
    const { signUp: user } = await signUp(`writer-${randomUUID()}@example.test`);
    const created = await gqlOk(app, CreateDocumentDocument, { input: { title: 'Quarterly plan' } }, { token: user.accessToken });
    const id = created.createDocument.id;
    const stored = await withSql(app.databaseUrl, (c) => c.query('select organization_id from document where id = $1', [id]));
    expect(stored.rows).toEqual([{ organization_id: ORG }]);
    const read = await gqlOk(app, DocumentDocument, { id }, { token: user.accessToken });
    expect(read.document?.title).toBe('Quarterly plan');
  });

  it('needs no organization filtering: the tenant filter is switched off by configuration', async () => {
    const filters = app.orm.config.get('filters') as Record<string, { default?: boolean }>;
    expect(filters[TENANT_FILTER]?.default).toBe(false);
    // The request's EntityManager is still scoped (writes are stamped and checked), but the
    // filter is not enforced: reading without it, which multi-tenant mode refuses, works here.
    const em = forkForTenant(app.orm.em, ORG);
    const docs = await em.find(Document, {}, { filters: false });
    expect(docs.length).toBeGreaterThan(0);
  });

  it('answers switchOrganization with BAD_USER_INPUT', async () => {
    const { signUp: user } = await signUp(`switch-${randomUUID()}@example.test`);
    const res = await gql(app, SwitchOrganizationDocument, { organizationId: ORG }, { token: user.accessToken });
    expect(codes(res)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('single-tenant start-up refuses a shared database', () => {
  const config = (org: string, url: string) =>
    loadConfig({ DEPLOYMENT_MODE: 'single_tenant', DEFAULT_ORGANIZATION_ID: org, DATABASE_URL: url, JWT_SECRET: TEST_JWT_SECRET });

  async function prepare(org: string, seedOrgs: string[]) {
    const url = await createTestDatabase();
    await withSql(url, async (c) => {
      for (const id of seedOrgs) await c.query(`insert into organization (id, name, slug) values ($1, 'x', $2)`, [id, `s-${id}`]);
    });
    const orm = await connectOrm({ clientUrl: url, mode: 'single_tenant', poolMax: 1 });
    try {
      await prepareDatabase(orm, config(org, url), pino({ level: 'silent' }), { embedded: false });
    } finally {
      await orm.close();
    }
  }

  it('when the database holds more than one organization', async () => {
    const org = randomUUID();
    const other = randomUUID();
    await expect(prepare(org, [org, other])).rejects.toThrow(SingleTenantDatabaseError);
    await expect(prepare(org, [org, other])).rejects.toThrow(other);
  });

  it('when the one organization is not DEFAULT_ORGANIZATION_ID', async () => {
    await expect(prepare(randomUUID(), [randomUUID()])).rejects.toThrow(SingleTenantDatabaseError);
  });

  it('and accepts a database holding only its own organization', async () => {
    const org = randomUUID();
    await expect(prepare(org, [org])).resolves.toBeUndefined();
  });
});
