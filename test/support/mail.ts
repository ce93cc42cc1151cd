import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AcceptInvitationDocument, ConfirmSignUpDocument, InviteMemberDocument, SignUpDocument, type SignUpInput } from '../../src/client/generated/graphql.js';
import { normalizeEmail } from '../../src/auth/email.js';
import type { TestApp } from './app.js';
import { sleep } from './documents-helpers.js';
import { gqlOk } from './graphql.js';

/** One message of the server's outbox (nodemailer's JSON form), with the token it carries, if any. */
export interface SentMail {
  file: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  /** The line that is a sign-up token (43 base64url characters) or an invitation token (`<uuid>.<secret>`). */
  token: string | undefined;
}

const TOKEN_LINE = /^(?:[0-9a-f-]{36}\.)?[A-Za-z0-9_-]{43}$/m;

/** Every message in the outbox, oldest first. */
export async function outbox(app: Pick<TestApp, 'outboxDir'>): Promise<SentMail[]> {
  const files = (await readdir(app.outboxDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (name) => {
      const file = join(app.outboxDir, name);
      const json = JSON.parse(await readFile(file, 'utf8')) as { to: { address: string }[]; from: { address: string; name: string }; subject: string; text: string };
      return { file, to: json.to.map((t) => t.address).join(', '), from: `${json.from.name} <${json.from.address}>`, subject: json.subject, text: json.text, token: TOKEN_LINE.exec(json.text)?.[0] };
    }),
  );
}

/** The messages to `email` (normalized), waiting (up to 5 s: mail is sent in the background) until there are `count`. */
export async function mailsTo(app: Pick<TestApp, 'outboxDir'>, email: string, count = 1): Promise<SentMail[]> {
  const to = normalizeEmail(email);
  const deadline = Date.now() + 5_000;
  for (;;) {
    const mine = (await outbox(app)).filter((m) => m.to === to);
    if (mine.length >= count || Date.now() > deadline) return mine;
    await sleep(20);
  }
}

/** The latest message to `email` once there are `count`; fails the test when it does not come. */
export async function lastMailTo(app: Pick<TestApp, 'outboxDir'>, email: string, count = 1): Promise<SentMail> {
  const mine = await mailsTo(app, email, count);
  if (mine.length < count) throw new Error(`expected ${count} email(s) to ${email}, found ${mine.length}`);
  return mine[mine.length - 1]!;
}

/** signUp, then confirmSignUp with the token from the email: an account as a person makes one. */
export async function signUpAndConfirm(app: Pick<TestApp, 'graphqlUrl' | 'outboxDir'>, input: SignUpInput) {
  const before = (await mailsTo(app, input.email, 0)).length;
  await gqlOk(app, SignUpDocument, { input });
  const mail = await lastMailTo(app, input.email, before + 1);
  if (!mail.token) throw new Error(`no token in the email to ${input.email}: ${mail.text}`);
  return (await gqlOk(app, ConfirmSignUpDocument, { token: mail.token })).confirmSignUp;
}

/** inviteMember by `inviterToken`, then acceptInvitation by the invited user with the emailed token: a membership made over the API. */
export async function inviteAndAccept(
  app: Pick<TestApp, 'graphqlUrl' | 'outboxDir'>,
  inviterToken: string,
  invitee: { email: string; token: string },
  role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER' = 'MEMBER',
) {
  const before = (await mailsTo(app, invitee.email, 0)).length;
  await gqlOk(app, InviteMemberDocument, { input: { email: invitee.email, role } }, { token: inviterToken });
  const mail = await lastMailTo(app, invitee.email, before + 1);
  return (await gqlOk(app, AcceptInvitationDocument, { token: mail.token! }, { token: invitee.token })).acceptInvitation;
}
