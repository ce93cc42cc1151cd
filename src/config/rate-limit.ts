import { isIP } from 'node:net';
import { z } from 'zod';

// Rate limits: the per-organization request budget, the per-address budget of anonymous
// requests, login and sign-up throttling, invitation emails, and where the counters live (src/rate-limit/).
// Spread into envSchema (env-schema.ts); `.env.example` documents each variable.

const blankAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const count = (min: number, max: number, fallback: number) =>
  z.preprocess(blankAsUndefined, z.coerce.number().int().min(min).max(max).default(fallback));

const flag = z.preprocess(
  blankAsUndefined,
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .default('true')
    .transform((v) => v === 'true' || v === '1' || v === 'yes'),
);

const redisUrl = z.preprocess(
  blankAsUndefined,
  z
    .string()
    .refine((v) => URL.canParse(v) && /^rediss?:$/.test(new URL(v).protocol) && !/\s/.test(v), { message: 'must be a redis:// or rediss:// URL' })
    .optional(),
);

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyEntry = (p: string) => {
  const [address = '', bits, extra] = p.split('/');
  return PROXY_NAMES.has(p) || (isIP(address) !== 0 && extra === undefined && (bits === undefined || /^\d{1,3}$/.test(bits)));
};

/**
 * Whose X-Forwarded-For to believe, so per-address limits see the client and not the load
 * balancer: false (default: the socket's address), true (anyone: only behind a proxy that
 * overwrites the header), or comma-separated proxy addresses, CIDRs or loopback/linklocal/uniquelocal.
 */
const trustProxy = z.preprocess(
  blankAsUndefined,
  z
    .string()
    .default('false')
    .transform((v, ctx): boolean | string => {
      const s = v.trim();
      if (s === 'false') return false;
      if (s === 'true') return true;
      const entries = s.split(',').map((p) => p.trim()).filter(Boolean);
      if (entries.length > 0 && entries.every(isProxyEntry)) return entries.join(',');
      ctx.addIssue({ code: 'custom', message: 'must be false, true, or comma-separated proxy addresses/CIDRs (or loopback, linklocal, uniquelocal)' });
      return z.NEVER;
    }),
);

export const rateLimitEnvSchema = {
  RATE_LIMIT_ENABLED: flag,
  RATE_LIMIT_POINTS: count(1, 10_000_000, 60_000),
  RATE_LIMIT_ANONYMOUS_POINTS: count(1, 10_000_000, 3_000),
  RATE_LIMIT_WINDOW_SECONDS: count(1, 24 * 3600, 60),
  LOGIN_MAX_FAILURES_PER_EMAIL: count(1, 10_000, 5),
  LOGIN_MAX_FAILURES_PER_IP: count(1, 100_000, 20),
  LOGIN_FAILURE_WINDOW_SECONDS: count(1, 7 * 24 * 3600, 900),
  SIGNUP_MAX_PER_IP: count(1, 100_000, 10),
  SIGNUP_MAX_PER_EMAIL: count(1, 10_000, 3),
  SIGNUP_WINDOW_SECONDS: count(1, 7 * 24 * 3600, 3600),
  INVITATIONS_MAX_PER_ORGANIZATION: count(1, 100_000, 100),
  INVITATIONS_WINDOW_SECONDS: count(1, 7 * 24 * 3600, 3600),
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: z.preprocess(
    blankAsUndefined,
    z.string().regex(/^[\w:.-]{1,100}$/, { message: 'letters, digits, _ : . - only (1-100)' }).default('tenantql'),
  ),
  TRUST_PROXY: trustProxy,
};

type RateLimitEnv = z.output<z.ZodObject<typeof rateLimitEnvSchema>>;

export interface RateLimitConfig {
  /** The per-organization / per-address request budget (login throttling is always on). */
  enabled: boolean;
  /** Points per window for each organization; a request costs at least 1. */
  points: number;
  /** Points per window for each client address, for requests without an active organization. */
  anonymousPoints: number;
  windowSeconds: number;
  login: {
    /** Login attempts per email and window that may fail; then every attempt is refused until the window ends. */
    maxFailuresPerEmail: number;
    /** The same per client address. */
    maxFailuresPerIp: number;
    windowSeconds: number;
  };
  /**
   * Sign-ups (each hashes a password and sends an email), counted before the password is
   * hashed, every attempt alike: per client address, and per email (the confirmations and
   * "you already have an account" notices one address receives, taken and free alike).
   */
  signUp: {
    maxPerIp: number;
    maxPerEmail: number;
    windowSeconds: number;
  };
  /** Invitation emails each organization may send per window (keyed by organization only: no other tenant moves it). */
  invitations: {
    maxPerOrganization: number;
    windowSeconds: number;
  };
  /** Counters in Redis (shared by every instance) when set; else in this process's memory. */
  redisUrl?: string;
  /** Prefix of every Redis key, so deployments (or test runs) can share one Redis. */
  keyPrefix: string;
}

export function rateLimitConfig(e: RateLimitEnv): { rateLimit: RateLimitConfig; trustProxy: boolean | string } {
  return {
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED,
      points: e.RATE_LIMIT_POINTS,
      anonymousPoints: e.RATE_LIMIT_ANONYMOUS_POINTS,
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      login: {
        maxFailuresPerEmail: e.LOGIN_MAX_FAILURES_PER_EMAIL,
        maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
        windowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
      },
      signUp: { maxPerIp: e.SIGNUP_MAX_PER_IP, maxPerEmail: e.SIGNUP_MAX_PER_EMAIL, windowSeconds: e.SIGNUP_WINDOW_SECONDS },
      invitations: { maxPerOrganization: e.INVITATIONS_MAX_PER_ORGANIZATION, windowSeconds: e.INVITATIONS_WINDOW_SECONDS },
      redisUrl: e.REDIS_URL,
      keyPrefix: e.REDIS_KEY_PREFIX,
    },
    trustProxy: e.TRUST_PROXY,
  };
}
