import pino, { type Logger } from 'pino';
import type { AppConfig } from './config/index.js';

export function createLogger(config: Pick<AppConfig, 'logLevel' | 'nodeEnv'>): Logger {
  const pretty = config.nodeEnv === 'development' && process.stdout.isTTY;
  return pino({
    level: config.logLevel,
    // Tokens and passwords never reach the log.
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.passwordHash'],
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  });
}
