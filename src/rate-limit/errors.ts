import { HeaderMap } from '@apollo/server';
import { AppError } from '../graphql/errors.js';

/**
 * RATE_LIMITED: HTTP 429 with a `Retry-After` header, and the same number of seconds in
 * `extensions.retryAfter` for clients that only read the body. Says nothing about the store.
 */
export class RateLimitedError extends AppError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', message, 429);
    // Apollo takes status and headers from extensions.http and strips it from the response body.
    this.extensions.http = { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) };
    this.extensions.retryAfter = retryAfterSeconds;
  }
}
