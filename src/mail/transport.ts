import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type { MailConfig } from '../config/mail.js';

/** One message as the service writes it: plain text, one recipient. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Where a delivered message went: a file of the outbox, or the SMTP server's message id. */
export type Delivery = { kind: 'outbox'; file: string } | { kind: 'smtp'; messageId: string };

export interface MailTransport {
  readonly kind: MailConfig['transport']['kind'];
  /** Composes (nodemailer) and hands over one message; rejects when the transport refuses it. */
  deliver(message: MailMessage): Promise<Delivery>;
  /** SMTP: connects and authenticates once, to warn early about a wrong setting. Outbox: no-op. */
  verify(): Promise<void>;
  close(): void;
}

/**
 * The outbox (no SMTP_URL: development, tests): nodemailer composes the message as JSON (its
 * jsonTransport: from, to, subject, text, messageId, date), written to one file per message,
 * named so that a directory listing is in sending order, each appearing whole (written aside,
 * then renamed). The directory and the files are
 * readable by their owner only: messages carry one-time tokens.
 */
function outbox(from: string, dir: string): MailTransport {
  const composer = nodemailer.createTransport({ jsonTransport: true }, { from });
  const folder = resolve(dir);
  return {
    kind: 'outbox',
    async deliver(message) {
      const info = await composer.sendMail(message);
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const file = join(folder, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.json`);
      // Written aside, then renamed: whoever reads the directory never sees half a message.
      await writeFile(`${file}.partial`, info.message, { mode: 0o600, flag: 'wx' });
      await rename(`${file}.partial`, file);
      return { kind: 'outbox', file };
    },
    verify: async () => undefined,
    close: () => composer.close(),
  };
}

/**
 * How long a delivery may wait on the mail server, in ms. nodemailer's defaults (connection 2 min,
 * greeting 30 s, socket idle 10 min: its smtp-connection docs) let a server that accepts and never
 * answers hold a delivery (and its connection) for minutes. No request waits for a delivery; a
 * failure is logged ('mail delivery failed').
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** SMTP_URL: nodemailer's SMTP transport, one connection per message (no pool to keep open). */
function smtp(from: string, url: string): MailTransport {
  const transport = nodemailer.createTransport({ url, ...SMTP_TIMEOUTS }, { from });
  return {
    kind: 'smtp',
    async deliver(message) {
      const info = await transport.sendMail(message);
      return { kind: 'smtp', messageId: info.messageId };
    },
    verify: async () => {
      await transport.verify();
    },
    close: () => transport.close(),
  };
}

/** The transport MAIL settings ask for (src/config/mail.ts): SMTP when SMTP_URL is set, else the outbox. */
export function createMailTransport(config: MailConfig): MailTransport {
  return config.transport.kind === 'smtp' ? smtp(config.from, config.transport.url) : outbox(config.from, config.transport.dir);
}
