import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';
import type { AppConfig } from './config/index.js';
import { requestForLog } from './url-redaction.js';

const PRETTY = 'pino-pretty';

/** Whether pino-pretty is installed: it is a devDependency, absent after `npm ci --omit=dev`. */
function prettyInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(PRETTY);
    return true;
  } catch {
    return false;
  }
}

/**
 * The process's logger. Human-readable lines (pino-pretty, in a worker thread as a pino transport)
 * only in development when standard output is a terminal and pino-pretty is installed; otherwise
 * one JSON object per line (pino's format), which is what production and anything reading the
 * output (a pipe, a file, a log collector) gets.
 */
export function createLogger(config: Pick<AppConfig, 'logLevel' | 'nodeEnv'>): Logger {
  const pretty = config.nodeEnv === 'development' && process.stdout.isTTY === true && prettyInstalled();
  return pino({
    level: config.logLevel,
    // Tokens and passwords never reach the log.
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.passwordHash'],
    // Every `req` logged (Fastify's "incoming request", errors with their request) shows a redacted
    // URL: a signed file URL's token is a credential (src/url-redaction.ts). Pino's serializers
    // take precedence over Fastify's own for the child loggers Fastify makes from this one.
    serializers: { req: requestForLog },
    ...(pretty ? { transport: { target: PRETTY, options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  });
}
