import { HeaderMap } from '@apollo/server';
import { AppError } from '../graphql/errors.js';

/** Which budget or throttle refused: the organization's or the address's request budget, or the login, sign-up or invitation throttle. */
export const RATE_LIMITS = ['organization', 'address', 'login', 'sign_up', 'invitation'] as const;
export type RateLimitName = (typeof RATE_LIMITS)[number];

/**
 * RATE_LIMITED: HTTP 429 with a `Retry-After` header, and the same number of seconds in
 * `extensions.retryAfter` for clients that only read the body. Says nothing about the store.
 * `limit` (which one refused) is for metrics; clients do not see it.
 */
export class RateLimitedError extends AppError {
  constructor(message: string, readonly retryAfterSeconds: number, readonly limit: RateLimitName) {
    super('RATE_LIMITED', message, 429);
    // Apollo takes status and headers from extensions.http and strips it from the response body.
    this.extensions.http = { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) };
    this.extensions.retryAfter = retryAfterSeconds;
  }
}
