import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getNamedType, isLeafType, type GraphQLField } from 'graphql';
import { LoginDocument } from '../src/client/generated/graphql.js';
import { buildSchema } from '../src/graphql/schema.js';
import { REFUSED_REQUEST_POINTS } from '../src/rate-limit/request-cost.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, TEST_PASSWORD } from './support/factories.js';
import { freePort } from './support/ports.js';
import { expectRateLimited, expectServed, redisAnswers, send, sleep } from './support/rate-limit-helpers.js';
import { valueFor } from './support/sweep-helpers.js';

// The per-organization request budget (src/rate-limit/graphql-plugin.ts). A request costs its
// estimated query cost (src/graphql/limits/cost.ts): `{ me { role } }` is 2 points (me + role).
const ME = '{ me { role } }';

const WINDOW = 60;
const apps: TestApp[] = [];
const start = async (env: Record<string, string>, databaseUrl?: string) => {
  const app = await startApp(env, databaseUrl);
  apps.push(app);
  return app;
};
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

describe('per-organization budget (in memory)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await start({
      RATE_LIMIT_POINTS: '6',
      RATE_LIMIT_ANONYMOUS_POINTS: '4',
      RATE_LIMIT_WINDOW_SECONDS: String(WINDOW),
      TRUST_PROXY: 'loopback',
    });
  });

  it('an organization over its budget gets 429 RATE_LIMITED with Retry-After; another organization is still served', async () => {
    const [a, b] = await Promise.all([createOrg(app, { roles: ['OWNER', 'MEMBER'] }), createOrg(app)]);
    for (let i = 1; i <= 3; i++) expectServed(await send(app, ME, {}, { token: a.owner.token }), `A, request ${i} (${2 * i} of 6 points)`);

    const refused = await send(app, ME, {}, { token: a.owner.token });
    expectRateLimited(refused, 'A, request 4', WINDOW);
    expect(refused.errors![0]!.message).toMatch(/organization/);
    // The budget belongs to the organization, not to one user or token.
    expectRateLimited(await send(app, ME, {}, { token: a.users[1]!.token }), 'another member of A', WINDOW);

    for (let i = 1; i <= 3; i++) expectServed(await send(app, ME, {}, { token: b.owner.token }), `B, request ${i}`);
  });

  it('a request costs its estimated query cost: list sizes count, and so do aliases and fragments', async () => {
    const c = await createOrg(app, { documents: 3 });
    // documents: 1 + first x (edges 1 + cursor 1) = 1 + 2 x 2 = 5 points of 6; then 2 more is over.
    expectServed(await send(app, '{ documents(first: 2) { edges { cursor } } }', {}, { token: c.owner.token }), 'a page of 2 (5 points)');
    expectRateLimited(await send(app, ME, {}, { token: c.owner.token }), 'budget spent by cost, not by count', WINDOW);

    const d = await createOrg(app);
    // Three aliased root fields, two through a fragment: 3 x 2 = 6 points, the whole budget.
    const three = 'query Three { a: me { role } ...More } fragment More on Query { b: me { role } c: me { role } }';
    expectServed(await send(app, three, {}, { token: d.owner.token }), '3 aliased root fields (6 points)');
    expectRateLimited(await send(app, ME, {}, { token: d.owner.token }), 'nothing left after the aliases', WINDOW);
  });

  it('requests without an organization are limited per client address, IPv6 by /64', async () => {
    const anonymous = '{ a: __typename b: __typename }'; // 2 points of 4
    for (const from of ['203.0.113.7', '203.0.113.7']) expectServed(await send(app, anonymous, {}, { from }), `anonymous from ${from}`);
    const refused = await send(app, anonymous, {}, { from: '203.0.113.7' });
    expectRateLimited(refused, 'third anonymous request from 203.0.113.7', WINDOW);
    expect(refused.errors![0]!.message).toMatch(/address/);
    expectServed(await send(app, anonymous, {}, { from: '203.0.113.8' }), 'another address');

    expectServed(await send(app, anonymous, {}, { from: '2001:db8::1' }), 'IPv6 1');
    expectServed(await send(app, anonymous, {}, { from: '2001:db8::2' }), 'IPv6 2, same /64');
    expectRateLimited(await send(app, anonymous, {}, { from: '2001:db8::ffff:1' }), 'IPv6 3, same /64', WINDOW);
    expectServed(await send(app, anonymous, {}, { from: '2001:db8:0:1::1' }), 'IPv6, another /64');

    // A member acting in an organization draws on the organization's budget, not the address's.
    const d = await createOrg(app);
    expectServed(await send(app, ME, {}, { token: d.owner.token, from: '203.0.113.7' }), 'organization request from the exhausted address');
  });

  it('a budget is full again when its window ends', async () => {
    const short = await start({ RATE_LIMIT_POINTS: '2', RATE_LIMIT_WINDOW_SECONDS: '1' }, app.databaseUrl);
    const e = await createOrg(short);
    expectServed(await send(short, ME, {}, { token: e.owner.token }), 'first request');
    const seconds = expectRateLimited(await send(short, ME, {}, { token: e.owner.token }), 'second request', 1);
    await sleep(seconds * 1000 + 150);
    expectServed(await send(short, ME, {}, { token: e.owner.token }), 'after the window');
  });

  it('RATE_LIMIT_ENABLED=false switches the request budget off', async () => {
    const off = await start({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_POINTS: '2' }, app.databaseUrl);
    const f = await createOrg(off);
    for (let i = 1; i <= 3; i++) expectServed(await send(off, ME, {}, { token: f.owner.token }), `request ${i}`);
  });
});

describe('what a request is charged', () => {
  // A query estimated far above MAX_QUERY_COST (5000) and above a whole organization budget
  // (60,000): 100 documents x (their fields, author, and 100 comments with their authors).
  const HUGE = `{ documents(first: 100) { edges { cursor node { id title body createdAt updatedAt archivedAt
    createdBy { id name email createdAt } comments(first: 100) { id body createdAt author { id name email createdAt } } } } } }`;

  /**
   * An anonymous request estimated at exactly `points` (2 to ~3,000: MAX_ALIASES is 15): a page
   * of `first` cursors is 1 + 2 x first, and `first` is at most 100, so pages of 100 (201
   * points), then one smaller page, then a `__typename` (1 point) for each point left.
   */
  const costing = (points: number) => {
    const fields: string[] = [];
    let left = points;
    while (left >= 3) {
      const first = Math.min(100, Math.floor((left - 1) / 2));
      fields.push(`${fields.length ? `p${fields.length}: ` : ''}documents(first: ${first}) { edges { cursor } }`);
      left -= 1 + 2 * first;
    }
    for (let i = 0; i < left; i++) fields.push(`t${i}: __typename`);
    return `{ ${fields.join(' ')} }`;
  };

  /** `n` aliased calls of a root mutation, each with valid generated arguments and a fresh email. */
  function aliased(fieldName: string, n: number): { query: string; variables: Record<string, unknown> } {
    const field = buildSchema().getMutationType()!.getFields()[fieldName] as GraphQLField<unknown, unknown>;
    const selection = isLeafType(getNamedType(field.type)) ? '' : '{ __typename }';
    const defs: string[] = [];
    const calls: string[] = [];
    const variables: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const known = { email: `charged-${i}-${randomBytes(4).toString('hex')}@example.test`, password: TEST_PASSWORD, name: `Charged ${i}`, organizationName: `Charged ${i}` };
      const args = field.args.map((a) => {
        defs.push(`$${a.name}${i}: ${String(a.type)}`);
        variables[`${a.name}${i}`] = valueFor(a.type, a.name, null, known);
        return `${a.name}: $${a.name}${i}`;
      });
      calls.push(`s${i}: ${fieldName}(${args.join(', ')}) ${selection}`);
    }
    return { query: `mutation Charged(${defs.join(', ')}) { ${calls.join(' ')} }`, variables };
  }

  let app: TestApp;
  beforeAll(async () => {
    // The default budgets (60,000 per organization, 3,000 per address) and cost limit (5,000),
    // stated: the test harness raises the address budget for every other file.
    app = await start({ TRUST_PROXY: 'loopback', RATE_LIMIT_POINTS: '60000', RATE_LIMIT_ANONYMOUS_POINTS: '3000' });
  });

  it("a VIEWER's query refused as too complex costs the organization a small fixed amount, not its estimate: every member is still served", async () => {
    const org = await createOrg(app, { roles: ['OWNER', 'MEMBER', 'VIEWER'] });
    const viewer = org.users[2]!;
    const refused = await send(app, HUGE, {}, { token: viewer.token });
    expect(refused.errors?.map((e) => e.extensions?.code), refused.raw).toEqual(['QUERY_TOO_COMPLEX']);
    expect(Number(/estimated cost (\d+)/.exec(refused.errors![0]!.message)?.[1])).toBeGreaterThan(60_000);
    for (const member of org.users) expectServed(await send(app, ME, {}, { token: member.token }), `${member.role} after the refusal`);
  });

  it('each refusal before execution is charged REFUSED_REQUEST_POINTS, the same whatever was refused', async () => {
    const budget = 3 * REFUSED_REQUEST_POINTS + 2;
    const small = await start({ RATE_LIMIT_POINTS: String(budget) }, app.databaseUrl);
    const org = await createOrg(small, { roles: ['OWNER', 'VIEWER'] });
    const token = org.users[1]!.token;
    // Too complex; a forbidden character; a variable of the wrong type: each refused, each charged the fixed amount.
    expect((await send(small, HUGE, {}, { token })).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect((await send(small, '{ __typename }', { t: 'a\u0000' }, { token })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await send(small, 'query ($n: Int) { documents(first: $n) { edges { cursor } } }', { n: 'x' }, { token })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expectServed(await send(small, ME, {}, { token: org.owner.token }), `2 points left of ${budget}`);
    expectRateLimited(await send(small, ME, {}, { token: org.owner.token }), 'nothing left', WINDOW);
  });

  it('15 aliased signUps in one anonymous request are charged at least 15 x 100 points (@complexity), so a second one is refused', async () => {
    const { query, variables } = aliased('signUp', 15);
    const first = await send(app, query, variables, { from: '198.51.100.20' });
    expect(first.status, first.raw).not.toBe(429);
    // Of the address's 3,000 points at most 1,500 are left: a request of 1,501 is refused, and so is the same sign-up batch again.
    expectRateLimited(await send(app, costing(1501), {}, { from: '198.51.100.20' }), 'a 1,501-point request after 15 sign-ups', WINDOW);
    expectRateLimited(await send(app, query, variables, { from: '198.51.100.20' }), 'the same 15 sign-ups again', WINDOW);
    // Control: from a fresh address the 1,501-point request is served (refused for being anonymous, not for the budget).
    const control = await send(app, costing(1501), {}, { from: '198.51.100.21' });
    expect(control.errors?.map((e) => e.extensions?.code), control.raw).toEqual(['UNAUTHENTICATED']);
  });

  it('a login is charged 100 points plus its selection; an ordinary query its estimate, as before', async () => {
    const from = '198.51.100.30';
    const login = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';
    // 100 + 1 (accessToken) = 101 points; 3,000 - 101 = 2,899 left, taken exactly by a request of 2,899.
    await send(app, login, { input: { email: 'nobody@example.test', password: 'not the password' } }, { from });
    const exact = await send(app, costing(2899), {}, { from });
    expect(exact.errors?.map((e) => e.extensions?.code), exact.raw).toEqual(['UNAUTHENTICATED']);
    expectRateLimited(await send(app, '{ __typename }', {}, { from }), 'one point more', WINDOW);
  });
});

describe('Redis configured but unreachable', () => {
  it('the server starts and serves, limits still hold per instance, and no Redis detail reaches the client', async () => {
    const app = await start({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, RATE_LIMIT_POINTS: '2' });
    const g = await createOrg(app);
    expectServed(await send(app, ME, {}, { token: g.owner.token }), 'first request');
    expectRateLimited(await send(app, ME, {}, { token: g.owner.token }), 'second request', WINDOW);
  });
});

const redisUp = await redisAnswers('127.0.0.1', 6379);
if (!redisUp) console.warn('rate-limit.test.ts: no Redis answers at 127.0.0.1:6379, so the shared-budget test is SKIPPED');

describe('Redis at 127.0.0.1:6379', () => {
  // Unique per run: parallel runs against the same Redis do not share counters.
  const prefix = `tenantql-test:${process.pid}:${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    if (!redisUp) return;
    const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it.skipIf(!redisUp)('two instances share one budget: spent on instance 1, refused on instance 2; login failures count across instances', async () => {
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_POINTS: '4',
      RATE_LIMIT_WINDOW_SECONDS: String(WINDOW),
      LOGIN_MAX_FAILURES_PER_EMAIL: '2',
    };
    const one = await start(env);
    const two = await start(env, one.databaseUrl);
    const [a, b] = await Promise.all([createOrg(one), createOrg(one)]);

    expectServed(await send(one, ME, {}, { token: a.owner.token }), 'A on instance 1 (2 of 4 points)');
    expectServed(await send(one, ME, {}, { token: a.owner.token }), 'A on instance 1 (4 of 4 points)');
    expectRateLimited(await send(two, ME, {}, { token: a.owner.token }), 'A on instance 2', WINDOW);
    expectServed(await send(two, ME, {}, { token: b.owner.token }), 'B on instance 2');

    const wrong = { email: b.owner.email, password: 'not the password' };
    expect((await send(one, LoginDocument, { input: wrong })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await send(two, LoginDocument, { input: wrong })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expectRateLimited(await send(one, LoginDocument, { input: { email: b.owner.email, password: TEST_PASSWORD } }), 'right password after 2 failures', 900);
  });
});
