import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { configProblems } from './support/config-problems.js';
import { servingConnection } from '../src/db/serving-connection.js';
import { SERVING_ROLE } from '../src/db/serving-role.js';

// DB_POOL_MODE and DATABASE_SERVING_URL (src/config/pooling.ts), and the serving connection they
// give (src/db/serving-connection.ts). Through pgbouncer itself: test/pgbouncer.test.ts.

const OWNER = 'postgresql://owner:pw@db:5432/app';
const SERVING = 'postgresql://tenantql_serving:pw@pgbouncer:6432/app';

const problems = configProblems;

describe('DB_POOL_MODE', () => {
  it('is session by default (blank too), with no serving URL: the embedded default needs no setup', () => {
    for (const env of [{}, { DB_POOL_MODE: '' }, { DB_POOL_MODE: ' ' }]) {
      expect(loadConfig(env).database).toMatchObject({ poolMode: 'session', servingUrl: undefined });
    }
  });

  it('accepts session and transaction only', () => {
    expect(loadConfig({ DB_POOL_MODE: 'session' }).database.poolMode).toBe('session');
    expect(loadConfig({ DATABASE_URL: OWNER, DB_POOL_MODE: 'transaction', DATABASE_SERVING_URL: SERVING }).database.poolMode).toBe('transaction');
    for (const value of ['statement', 'TRANSACTION', 'true']) expect(problems({ DB_POOL_MODE: value })).toEqual(['DB_POOL_MODE: must be session or transaction']);
  });

  it('transaction without DATABASE_SERVING_URL is refused, saying why and what to create', () => {
    expect(problems({ DATABASE_URL: OWNER, DB_POOL_MODE: 'transaction' })).toEqual([
      expect.stringMatching(/^DB_POOL_MODE=transaction needs DATABASE_SERVING_URL: .*in role tenantql_app.*SET ROLE does not survive transaction pooling/),
    ]);
  });
});

describe('DATABASE_SERVING_URL', () => {
  it('is taken with DATABASE_URL, and with CUSTOMER_DATABASE_URL in single-tenant mode', () => {
    expect(loadConfig({ DATABASE_URL: OWNER, DATABASE_SERVING_URL: SERVING }).database).toMatchObject({ url: OWNER, servingUrl: SERVING, poolMode: 'session' });
    const single = loadConfig({
      DEPLOYMENT_MODE: 'single_tenant',
      NODE_ENV: 'test',
      DEFAULT_ORGANIZATION_ID: '550e8400-e29b-41d4-a716-446655440000',
      CUSTOMER_DATABASE_URL: OWNER,
      DATABASE_SERVING_URL: SERVING,
    });
    expect(single.database).toMatchObject({ url: OWNER, servingUrl: SERVING });
  });

  it('is refused without an owner URL (the embedded server), and when it is not a postgres URL', () => {
    expect(problems({ DATABASE_SERVING_URL: SERVING })).toEqual([expect.stringMatching(/^DATABASE_SERVING_URL needs DATABASE_URL/)]);
    expect(problems({ DATABASE_URL: OWNER, DATABASE_SERVING_URL: 'mysql://x@y/z' })).toEqual(['DATABASE_SERVING_URL: must be a postgres:// or postgresql:// URL']);
  });

  it('problems are reported with the others, together', () => {
    expect(problems({ DB_POOL_MODE: 'transaction', DATABASE_SERVING_URL: SERVING, PORT: 'x' })).toEqual([
      expect.stringMatching(/^PORT: /),
      expect.stringMatching(/^DATABASE_SERVING_URL needs DATABASE_URL/),
    ]);
  });
});

describe('servingConnection', () => {
  it('without a serving URL: the owner URL and SET ROLE tenantql_app, statements named (session state is ours)', () => {
    expect(servingConnection({ poolMode: 'session' }, OWNER)).toEqual({ clientUrl: OWNER, role: SERVING_ROLE });
  });

  it('with one: that login and no SET ROLE; unnamed statements in transaction mode only', () => {
    expect(servingConnection({ poolMode: 'session', servingUrl: SERVING }, OWNER)).toEqual({ clientUrl: SERVING, unnamedStatements: false });
    expect(servingConnection({ poolMode: 'transaction', servingUrl: SERVING }, OWNER)).toEqual({ clientUrl: SERVING, unnamedStatements: true });
  });

  it('refuses transaction pooling with SET ROLE, even if configuration let it through', () => {
    expect(() => servingConnection({ poolMode: 'transaction' }, OWNER)).toThrow(/SET ROLE does not survive transaction pooling/);
  });
});
