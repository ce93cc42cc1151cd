import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SignUpDocument } from '../src/client/generated/graphql.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { sleep } from './support/documents-helpers.js';
import { mailsTo, signUpAndConfirm } from './support/mail.js';
import { expectRateLimited, expectServed, send, type Answer } from './support/rate-limit-helpers.js';

// Sign-up throttling (src/rate-limit/sign-up-throttle.ts): 4 sign-ups per client address and 2
// per email in a window of 3600 s; client addresses come from X-Forwarded-For
// (TRUST_PROXY=loopback), so each test speaks from addresses of its own.

// Counts the server's password hashes (the real argon2id still runs): the server runs in this process.
const hashes = vi.hoisted(() => ({ count: 0 }));
vi.mock('../src/auth/password.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/auth/password.js')>();
  return { ...real, hashPassword: (password: string) => ((hashes.count += 1), real.hashPassword(password)) };
});

const WINDOW = 3600;
let app: TestApp;
beforeAll(async () => {
  app = await startApp({ SIGNUP_MAX_PER_IP: '4', SIGNUP_MAX_PER_EMAIL: '2', SIGNUP_WINDOW_SECONDS: String(WINDOW), TRUST_PROXY: 'loopback' });
});
afterAll(() => app?.close());

const email = () => `limit-${randomBytes(5).toString('hex')}@example.test`;
const signUp = (address: string, from: string) =>
  send(app, SignUpDocument, { input: { email: address, password: 'a long enough password', name: 'Lim', organizationName: null } }, { from });

/** The answer without what differs per request, for comparing two answers. */
const shape = (res: Answer<unknown>) => ({
  status: res.status,
  data: res.data ?? null,
  errors: res.errors?.map(({ extensions, message }) => ({ message: message.replace(/\d+/g, 'n'), code: extensions?.code })),
});

describe('sign-up limits', () => {
  it('per email: taken and free addresses are counted and refused alike, and the refused one is sent nothing', async () => {
    const taken = (await signUpAndConfirm(app, { email: email(), password: 'a long enough password', name: 'T', organizationName: null })).user.email;
    const free = email();
    // signUpAndConfirm counted one sign-up for `taken` (from 127.0.0.1); give `free` the same.
    expectServed(await signUp(free, '127.0.0.1'), 'free, first');
    for (let i = 2; i <= 3; i++) {
      const [t, f] = [await signUp(taken, `198.51.100.${i}`), await signUp(free, `198.51.100.${10 + i}`)];
      expect(shape(t), `attempt ${i}`).toEqual(shape(f));
      if (i === 2) expectServed(t, 'taken, second');
      else expectRateLimited(t, 'taken, third', WINDOW);
    }
    await sleep(200);
    expect((await mailsTo(app, taken, 0)).length).toBe(2); // the confirmation at sign-up, one note
    expect((await mailsTo(app, free, 0)).length).toBe(2);
    const pending = await withSql(app.databaseUrl, (c) => c.query('select 1 from pending_sign_up where email = $1', [free]));
    expect(pending.rowCount).toBe(2);
  });

  it('per address, whatever the emails; another address is not affected', async () => {
    const from = '203.0.113.7';
    for (let i = 1; i <= 4; i++) expectServed(await signUp(email(), from), `sign-up ${i}`);
    const refused = email();
    const before = hashes.count;
    expectRateLimited(await signUp(refused, from), 'the fifth from one address', WINDOW);
    expect(hashes.count - before, 'counted before the password is hashed: a refusal hashes nothing').toBe(0);
    expectServed(await signUp(email(), '203.0.113.8'), 'another address');
    await sleep(200);
    expect(await mailsTo(app, refused, 0)).toEqual([]);
  });

  it('counts each aliased signUp of one request once', async () => {
    const from = '203.0.113.20';
    const emails = [1, 2, 3, 4, 5].map(() => email());
    const fields = emails.map((e, i) => `s${i + 1}: signUp(input: { email: "${e}", password: "a long enough password", name: "A${i}" }) { message }`);
    const res = await send(app, `mutation { ${fields.join(' ')} }`, {}, { from });
    // Mutation fields run one after another: four pass the address's limit of 4, the fifth does not.
    expect(res.errors?.map((e) => [e.path, e.extensions?.code]), res.raw).toEqual([[['s5'], 'RATE_LIMITED']]);
    const pending = await withSql(app.databaseUrl, (c) => c.query<{ email: string }>('select email from pending_sign_up where email = any($1)', [emails]));
    expect(pending.rows.map((r) => r.email).sort()).toEqual(emails.slice(0, 4).sort());
    expectRateLimited(await signUp(email(), from), 'the next request from that address', WINDOW);
  });
});
