import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginDocument, MeDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, TEST_PASSWORD, type TestOrg } from './support/factories.js';
import { expectRateLimited, expectServed, send, sleep, type Answer } from './support/rate-limit-helpers.js';

// Login throttling (src/rate-limit/login-throttle.ts): 3 attempts per email and 6 per client
// address may fail in a window of 900 s; client addresses come from X-Forwarded-For
// (TRUST_PROXY=loopback), so each test speaks from addresses of its own.

const WINDOW = 900;
let app: TestApp;
let org: TestOrg;
beforeAll(async () => {
  app = await startApp({
    LOGIN_MAX_FAILURES_PER_EMAIL: '3',
    LOGIN_MAX_FAILURES_PER_IP: '6',
    LOGIN_FAILURE_WINDOW_SECONDS: String(WINDOW),
    TRUST_PROXY: 'loopback',
  });
  org = await createOrg(app, { roles: ['OWNER', 'MEMBER', 'MEMBER', 'MEMBER'] });
});
afterAll(() => app?.close());

const login = (email: string, password: string, from: string) => send(app, LoginDocument, { input: { email, password } }, { from });
const unknownEmail = () => `nobody-${randomBytes(5).toString('hex')}@example.test`;

/** The answer without what differs per request, for comparing two answers. */
const shape = (res: Answer<unknown>) => ({
  status: res.status,
  retryAfter: res.retryAfter === null ? null : 'n',
  data: res.data ?? null,
  errors: res.errors?.map(({ extensions, message, ...e }) => ({
    ...e,
    message: message.replace(/\d+/g, 'n'),
    extensions: { ...extensions, requestId: 'x', ...(extensions?.retryAfter === undefined ? {} : { retryAfter: 'n' }) },
  })),
});

function expectWrongPassword(res: Answer<unknown>, what: string) {
  expect((res.errors ?? []).map((e) => [e.extensions?.code, e.message]), `${what}: ${res.raw}`).toEqual([['UNAUTHENTICATED', 'Invalid email or password.']]);
}

describe('login throttling', () => {
  it('locks an email out after its failures, even for the right password and from another address', async () => {
    const victim = org.users[1]!;
    for (let i = 1; i <= 3; i++) expectWrongPassword(await login(victim.email, `guess ${i}`, '198.51.100.1'), `guess ${i}`);

    const locked = await login(victim.email, TEST_PASSWORD, '198.51.100.1');
    expectRateLimited(locked, 'the right password while locked', WINDOW);
    expect(locked.errors![0]!.message).toMatch(/sign-in attempts/);
    expectRateLimited(await login(victim.email, TEST_PASSWORD, '198.51.100.2'), 'the right password from another address', WINDOW);
    // The address itself is not locked: another account signs in from it.
    expectServed(await login(org.users[2]!.email, TEST_PASSWORD, '198.51.100.1'), 'another email from the same address');
  });

  it('answers an unknown email exactly like a known one, lock-out included', async () => {
    const known = org.users[3]!.email;
    const unknown = unknownEmail();
    for (let i = 1; i <= 4; i++) {
      const [k, u] = [await login(known, 'wrong password', '198.51.100.10'), await login(unknown, 'wrong password', '198.51.100.11')];
      if (i <= 3) expectWrongPassword(k, `known, attempt ${i}`);
      else expectRateLimited(k, 'known, attempt 4', WINDOW);
      expect(shape(u), `unknown email, attempt ${i}`).toEqual(shape(k));
    }
  });

  it('locks an address out after its failures, whatever the emails', async () => {
    const from = '198.51.100.20';
    for (let i = 1; i <= 6; i++) expectWrongPassword(await login(unknownEmail(), 'wrong password', from), `spray ${i}`);
    expectRateLimited(await login(org.owner.email, TEST_PASSWORD, from), 'a right password from the locked address', WINDOW);
    expectServed(await login(org.owner.email, TEST_PASSWORD, '198.51.100.21'), 'the same account from another address');
  });

  it('a successful login clears the email count and does not count against the address', async () => {
    const user = org.owner;
    const from = '198.51.100.30';
    expectWrongPassword(await login(user.email, 'wrong 1', from), 'failure 1');
    expectWrongPassword(await login(user.email, 'wrong 2', from), 'failure 2');
    expectServed(await login(user.email, TEST_PASSWORD, from), 'success');
    // Without the reset the next attempt would be the 4th for this email, and refused.
    expectWrongPassword(await login(user.email, 'wrong 3', from), 'failure 3 (count cleared)');
    expectWrongPassword(await login(user.email, 'wrong 4', from), 'failure 4');
    expectServed(await login(user.email, TEST_PASSWORD, from), 'success again');
    // 4 failures + 2 successes so far; successes are given back to the address (limit 6).
    expectWrongPassword(await login(user.email, 'wrong 5', from), 'failure 5');
    expectWrongPassword(await login(unknownEmail(), 'wrong 6', from), 'failure 6');
    expectRateLimited(await login(unknownEmail(), 'wrong 7', from), 'the address after 6 failures', WINDOW);
  });

  it('the lock-out ends with its window', async () => {
    const short = await startApp({ LOGIN_MAX_FAILURES_PER_EMAIL: '1', LOGIN_FAILURE_WINDOW_SECONDS: '1' }, app.databaseUrl);
    try {
      const user = org.users[2]!;
      const at = (password: string) => send(short, LoginDocument, { input: { email: user.email, password } });
      expectWrongPassword(await at('wrong'), 'failure');
      const seconds = expectRateLimited(await at(TEST_PASSWORD), 'locked', 1);
      await sleep(seconds * 1000 + 150);
      const res = await at(TEST_PASSWORD);
      expectServed(res, 'after the window');
      expectServed(await send(short, MeDocument, {}, { token: res.data!.login.accessToken }), 'the token works');
    } finally {
      await short.close();
    }
  });
});

describe('whose address counts: TRUST_PROXY', () => {
  // Each server has its own counters; all requests come from 127.0.0.1 and claim other
  // addresses in X-Forwarded-For, a fresh one for every attempt (what an attacker rotates).
  const LIMIT = 3;
  const rotating = (i: number) => `203.0.113.${i + 1}`;
  async function sprayFromRotatingAddresses(env: Record<string, string>) {
    const server = await startApp({ LOGIN_MAX_FAILURES_PER_IP: String(LIMIT), LOGIN_MAX_FAILURES_PER_EMAIL: '1000', ...env }, app.databaseUrl);
    try {
      const at = (i: number) => send(server, LoginDocument, { input: { email: unknownEmail(), password: 'wrong password' } }, { from: rotating(i) });
      for (let i = 0; i < LIMIT; i++) expectWrongPassword(await at(i), `failure ${i + 1} from ${rotating(i)}`);
      return await at(LIMIT);
    } finally {
      await server.close();
    }
  }

  it('by default X-Forwarded-For is ignored: a rotating header is still locked out by the address limit', async () => {
    expectRateLimited(await sprayFromRotatingAddresses({}), `attempt ${LIMIT + 1}, from a fresh X-Forwarded-For`, WINDOW);
  });

  it('with TRUST_PROXY naming the proxy, the header is the client address (so the default above is what refuses)', async () => {
    expectWrongPassword(await sprayFromRotatingAddresses({ TRUST_PROXY: 'loopback' }), `attempt ${LIMIT + 1}, from a fresh X-Forwarded-For`);
  });
});
