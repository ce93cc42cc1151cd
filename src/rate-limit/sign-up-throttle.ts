import type { RateLimitConfig } from '../config/rate-limit.js';
import { addressKey } from './client-address.js';
import { emailKey } from './email-key.js';
import { RateLimitedError } from './errors.js';
import type { Limiter, RateLimitStore } from './limiter.js';

export interface SignUpThrottle {
  /**
   * Counts one sign-up against the client address and the (normalized) email BEFORE the
   * password is hashed, so neither a burst nor aliased `signUp` fields in one request get
   * past the count: each call counts once. The email's count is the number of confirmations
   * and "you already have an account" notices it was sent, taken and free addresses alike, so
   * a refusal tells nothing about the account. Throws RATE_LIMITED (Retry-After) over either limit.
   */
  begin(email: string, clientIp: string): Promise<void>;
}

/** Two fixed-window counters on the rate-limit store (memory or Redis): per address (IPv6 by /64) and per hashed email. */
export function createSignUpThrottle(store: RateLimitStore, config: RateLimitConfig['signUp']): SignUpThrottle {
  const perAddress: Limiter = store.limiter('signup-ip', config.maxPerIp, config.windowSeconds);
  const perEmail: Limiter = store.limiter('signup-email', config.maxPerEmail, config.windowSeconds);
  const refuse = (retryAfterSeconds: number) => new RateLimitedError(`Too many sign-ups: try again in ${retryAfterSeconds} s.`, retryAfterSeconds, 'sign_up');
  return {
    async begin(email, clientIp) {
      const fromAddress = await perAddress.consume(addressKey(clientIp));
      if (!fromAddress.allowed) throw refuse(fromAddress.retryAfterSeconds);
      const toEmail = await perEmail.consume(emailKey(email));
      if (!toEmail.allowed) throw refuse(toEmail.retryAfterSeconds);
    },
  };
}
