import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config/rate-limit.js';

// Fixed-window counters from rate-limiter-flexible: in this process's memory, or in Redis
// (REDIS_URL) so that every instance draws on one budget.
//
// Redis down or slow: each limiter falls back to an in-memory twin (the library's
// "insurance limiter"). Requests are never refused because Redis is unreachable, and no limit
// disappears either: while Redis is out, every instance enforces each limit on its own
// (so N instances let through at most N times the budget). A warning is logged when Redis
// goes away and a note when it is back; clients never see either.

export type Verdict =
  | { allowed: true; remaining: number }
  | {
      allowed: false;
      retryAfterSeconds: number;
      /** True for the request that crossed the limit (log it once, not on every refusal). */
      justExhausted: boolean;
    };

/** One budget: `points` per `windowSeconds` for each key. */
export class Limiter {
  constructor(
    private readonly impl: RateLimiterAbstract,
    readonly points: number,
    private readonly log: Logger,
  ) {}

  /** Takes `cost` points (an integer, at least 1) from the key's budget. */
  async consume(key: string, cost = 1): Promise<Verdict> {
    try {
      const res = await this.impl.consume(key, cost);
      return { allowed: true, remaining: res.remainingPoints };
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)),
          justExhausted: err.consumedPoints - cost <= this.points,
        };
      }
      // Both the store and its in-memory twin failed: not expected. Let the request through.
      this.log.error({ err }, 'rate limiter failed; request let through');
      return { allowed: true, remaining: 0 };
    }
  }

  /** Gives points back (a login attempt that turned out to be right). */
  async refund(key: string, points = 1): Promise<void> {
    await this.impl.reward(key, points).catch((err: unknown) => this.log.error({ err }, 'rate limiter: refund failed'));
  }

  /** Forgets the key: its next window starts from zero. */
  async reset(key: string): Promise<void> {
    await this.impl.delete(key).catch((err: unknown) => this.log.error({ err }, 'rate limiter: reset failed'));
  }
}

export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  limiter(name: string, points: number, windowSeconds: number): Limiter;
  /** Resolves when the store can answer: at once in memory; for Redis when connected, failed, or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function createRateLimitStore(config: Pick<RateLimitConfig, 'redisUrl' | 'keyPrefix'>, logger: Logger): RateLimitStore {
  const log = logger.child({ component: 'rate-limit' });
  if (!config.redisUrl) {
    return {
      kind: 'memory',
      limiter: (name, points, duration) => new Limiter(new RateLimiterMemory({ keyPrefix: name, points, duration }), points, log),
      ready: async () => undefined,
      close: async () => undefined,
    };
  }

  const client = new Redis(config.redisUrl, {
    // While disconnected, fail at once: the in-memory twin answers instead of requests waiting.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 2000,
    // Keep trying to come back, at most every 5 s.
    retryStrategy: (times) => Math.min(times * 200, 5000),
  });
  let up: boolean | undefined;
  client.on('ready', () => {
    if (up !== true) log.info('Redis connected: rate-limit counters are shared by every instance');
    up = true;
  });
  // Never the URL (it may carry a password); the library's message stays in the log.
  client.on('error', (err: Error & { code?: string }) => {
    if (up !== false) log.warn({ error: err.message, code: err.code }, 'Redis unreachable: rate limits are counted per instance until it is back');
    up = false;
  });

  return {
    kind: 'redis',
    limiter: (name, points, duration) => {
      const keyPrefix = `${config.keyPrefix}:rl:${name}`;
      const impl = new RateLimiterRedis({
        storeClient: client,
        keyPrefix,
        points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
      });
      return new Limiter(impl, points, log);
    },
    ready: (timeoutMs = 2000) =>
      client.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              client.off('ready', done);
              client.off('error', done);
              resolve();
            };
            const timer = setTimeout(done, timeoutMs);
            client.once('ready', done);
            client.once('error', done);
          }),
    close: async () => {
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
