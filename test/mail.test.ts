import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfirmSignUpDocument, SignUpDocument } from '../src/client/generated/graphql.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { startApp, type TestApp } from './support/app.js';
import { waitFor } from './support/faults-helpers.js';
import { gqlOk } from './support/graphql.js';
import { freePort } from './support/ports.js';

// Mail (src/mail/): delivered through a real SMTP conversation with smtp-server on a loopback
// port; a mail server that is down changes nothing in the answer; mail settings are checked at
// start with the other configuration problems.

interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  raw: string;
}

const signUpInput = () => ({ email: `smtp-${randomBytes(5).toString('hex')}@example.test`, password: 'a long enough password', name: 'Sam', organizationName: null });

describe('SMTP', () => {
  let smtp: SMTPServer;
  let app: TestApp;
  const received: Received[] = [];
  beforeAll(async () => {
    const port = await freePort();
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'], // plain text on loopback; in production smtps:// or STARTTLS
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth: (auth, _session, done) => (auth.username === 'mailer' && auth.password === 's3cret' ? done(null, { user: auth.username }) : done(new Error('bad login'))),
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          done();
        });
      },
      logger: false,
    });
    await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve));
    app = await startApp({ SMTP_URL: `smtp://mailer:s3cret@127.0.0.1:${port}`, MAIL_FROM: 'tenantql <no-reply@example.test>', MAIL_OUTBOX_DIR: '' });
  });
  afterAll(async () => {
    await app?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('delivers the confirmation through an authenticated SMTP conversation; its token creates the account', async () => {
    const input = signUpInput();
    await gqlOk(app, SignUpDocument, { input });
    const mail = await waitFor('the message at the SMTP server', async () => received.find((m) => m.to.includes(input.email)), 5_000);
    expect(mail.from).toBe('no-reply@example.test');
    expect(mail.user).toBe('mailer');
    expect(mail.raw).toMatch(/^Subject: Confirm your tenantql account$/m);
    expect(mail.raw).toMatch(/^From: tenantql <no-reply@example\.test>$/m);
    const token = /^[A-Za-z0-9_-]{43}$/m.exec(mail.raw)?.[0];
    expect(token, mail.raw).toBeDefined();
    const { confirmSignUp } = await gqlOk(app, ConfirmSignUpDocument, { token: token! });
    expect(confirmSignUp.user.email).toBe(input.email);
    // Nothing went to an outbox.
    expect(await readdir(app.outboxDir)).toEqual([]);
  });
});

describe('a mail server that does not answer', () => {
  it('changes nothing in the answer; the failure is logged without recipient or token', async () => {
    const lines: string[] = [];
    const logStream = new Writable({ write: (chunk: Buffer, _enc, next) => (lines.push(chunk.toString()), next()) });
    // A server of the test's own that drops every connection: a port merely found free could be
    // taken meanwhile by another suite's server, which accepts and never greets.
    const dropper = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    const port = (dropper.address() as AddressInfo).port;
    const app = await startApp({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'no-reply@example.test', MAIL_OUTBOX_DIR: '', LOG_LEVEL: 'warn' }, undefined, { logStream });
    try {
      const input = signUpInput();
      const res = await gqlOk(app, SignUpDocument, { input });
      expect(res.signUp.message).toMatch(/check your inbox/i);
      await waitFor('the delivery failure in the log', async () => (lines.some((l) => l.includes('mail delivery failed')) ? true : undefined), 10_000);
      const failure = lines.find((l) => l.includes('mail delivery failed'))!;
      expect(JSON.parse(failure)).toMatchObject({ level: 50, purpose: 'sign-up.confirm' });
      expect(lines.join('\n')).not.toContain(input.email);
    } finally {
      await app.close();
      dropper.close();
    }
  });
});

describe('mail settings', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    throw new Error('accepted');
  };

  it('are refused at start, listed with the other problems, never showing the SMTP password', () => {
    const problems = problemsOf({ PORT: 'not a port', SMTP_URL: 'http://user:hunter2@mail.example.com', MAIL_FROM: 'two@example.com, addresses@example.com' });
    expect(problems).toEqual([
      expect.stringMatching(/^PORT:/),
      expect.stringMatching(/^MAIL_FROM: must be one address/),
      expect.stringMatching(/^SMTP_URL: must be smtp:\/\//),
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problemsOf({ SMTP_URL: 'smtp://mail.example.com:587' })).toEqual([expect.stringMatching(/^MAIL_FROM is required with SMTP_URL/)]);
    expect(problemsOf({ SMTP_URL: 'smtps://mail.example.com', MAIL_FROM: 'a@example.com', MAIL_OUTBOX_DIR: '/tmp/x' })).toEqual([expect.stringMatching(/^MAIL_OUTBOX_DIR applies only without SMTP_URL/)]);
    expect(problemsOf({ MAIL_FROM: 'not an address' })).toEqual([expect.stringMatching(/^MAIL_FROM/)]);
  });

  it('default to the outbox under DATA_DIR, and take SMTP with a sender', () => {
    expect(loadConfig({ DATA_DIR: '/srv/tenantql' }).mail).toEqual({ from: expect.stringContaining('@'), transport: { kind: 'outbox', dir: '/srv/tenantql/outbox' } });
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.com:465', MAIL_FROM: 'Acme <no-reply@acme.example>' }).mail).toEqual({
      from: 'Acme <no-reply@acme.example>',
      transport: { kind: 'smtp', url: 'smtps://u:p@mail.example.com:465' },
    });
  });
});
