import { join } from 'node:path';
import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';

// Outgoing mail (src/mail/): sign-up confirmations, "you already have an account" notices and
// invitations. Spread into envSchema (env-schema.ts); `.env.example` documents each variable.

const blankAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const mailEnvSchema = {
  /** `Name <address@domain>` or `address@domain`; required with SMTP_URL. */
  MAIL_FROM: z.preprocess(blankAsUndefined, z.string().optional()),
  /** smtp:// (STARTTLS when offered) or smtps:// (TLS); options as query parameters (nodemailer's connection URL). */
  SMTP_URL: z.preprocess(blankAsUndefined, z.string().optional()),
  /** Where the outbox writes messages when SMTP_URL is unset (default: DATA_DIR/outbox). */
  MAIL_OUTBOX_DIR: z.preprocess(blankAsUndefined, z.string().optional()),
};

type MailEnv = { [K in keyof typeof mailEnvSchema]?: z.infer<(typeof mailEnvSchema)[K]> } & { DATA_DIR?: string };

/** How messages leave: written to files (development, tests) or handed to an SMTP server. */
export type MailTransportConfig = { kind: 'outbox'; dir: string } | { kind: 'smtp'; url: string };

export interface MailConfig {
  /** The From header of every message. */
  from: string;
  transport: MailTransportConfig;
}

const DEVELOPMENT_FROM = 'tenantql <no-reply@tenantql.invalid>';

/** Whether `value` is exactly one mailbox whose address has a local part and a domain. */
function singleMailbox(value: string): boolean {
  const parsed = addressparser(value);
  const [first] = parsed;
  return parsed.length === 1 && first?.address !== undefined && /^[^\s@]+@[^\s@]+$/.test(first.address);
}

/**
 * The mail settings, or problems added to `problems` (reported with every other configuration
 * problem). SMTP_URL set: SMTP, and MAIL_FROM is required (a real sender; the development
 * default would be rejected or land in spam). Unset: the outbox, one JSON file per message.
 * Neither the URL nor its password ever appears in a problem: it may carry credentials.
 */
export function mailConfig(e: MailEnv, problems: string[]): MailConfig {
  if (e.MAIL_FROM !== undefined && !singleMailbox(e.MAIL_FROM)) {
    problems.push('MAIL_FROM: must be one address, as "Name <address@example.com>" or "address@example.com"');
  }
  if (e.SMTP_URL !== undefined) {
    const url = URL.canParse(e.SMTP_URL) ? new URL(e.SMTP_URL) : undefined;
    if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || url.hostname === '') {
      problems.push('SMTP_URL: must be smtp://[user:password@]host[:port] or smtps://... (the value is not shown: it may hold a password)');
    }
    if (e.MAIL_FROM === undefined) problems.push('MAIL_FROM is required with SMTP_URL: the sender address of sign-up and invitation emails.');
    if (e.MAIL_OUTBOX_DIR !== undefined) problems.push('MAIL_OUTBOX_DIR applies only without SMTP_URL (messages go to one or the other).');
    return { from: e.MAIL_FROM ?? DEVELOPMENT_FROM, transport: { kind: 'smtp', url: e.SMTP_URL } };
  }
  return { from: e.MAIL_FROM ?? DEVELOPMENT_FROM, transport: { kind: 'outbox', dir: e.MAIL_OUTBOX_DIR ?? join(e.DATA_DIR ?? '.data', 'outbox') } };
}
