import type { Logger } from 'pino';
import type { MailConfig } from '../config/mail.js';
import { createMailTransport, type MailMessage } from './transport.js';

export type { MailMessage } from './transport.js';

/**
 * Sends the service's emails in the background: a request queues a message and answers at once,
 * so its response time and answer never depend on the mail server (a sign-up to a taken and to
 * a free address answer alike, see modules/viewer/sign-up.service.ts).
 */
export interface Mailer {
  /**
   * Queues one message. `purpose` (e.g. `sign-up.confirm`) is what the log names: never the
   * recipient or the body, which carry one-time tokens. A delivery that fails is logged at
   * error level; the request that queued it has already answered.
   */
  send(purpose: string, message: MailMessage): void;
  /** Resolves when every message queued so far has been delivered or has failed (tests, shutdown). */
  idle(): Promise<void>;
  /** Waits for queued messages, then closes the transport. */
  close(): Promise<void>;
}

/**
 * The server's mailer (one per createServer). With SMTP it checks the login once at start and
 * warns when that fails; `development` logs where each outbox message was written (info), so a
 * developer can open it.
 */
export function createMailer(config: MailConfig, logger: Logger, { development }: { development: boolean }): Mailer {
  const log = logger.child({ component: 'mail' });
  const transport = createMailTransport(config);
  const pending = new Set<Promise<void>>();

  if (transport.kind === 'smtp') {
    // A wrong host or password shows at start, not at the first sign-up; the server starts anyway.
    transport.verify().catch((err: Error & { code?: string }) => log.warn({ error: err.message, code: err.code }, 'SMTP server not reachable or refused the login (SMTP_URL)'));
  }

  return {
    send(purpose, message) {
      const delivery = transport.deliver(message).then(
        (done) => {
          if (done.kind === 'outbox' && development) log.info({ purpose, file: done.file }, `mail written to the outbox: ${done.file}`);
          else log.debug({ purpose, ...done }, 'mail sent');
        },
        (err: Error & { code?: string }) => log.error({ purpose, error: err.message, code: err.code }, 'mail delivery failed'),
      );
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      await this.idle();
      transport.close();
    },
  };
}
