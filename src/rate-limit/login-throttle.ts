import type { RateLimitConfig } from '../config/rate-limit.js';
import { addressKey } from './client-address.js';
import { emailKey } from './email-key.js';
import { RateLimitedError } from './errors.js';
import type { Limiter, RateLimitStore } from './limiter.js';

/** An attempt that passed the throttle; tell it when the password was right. */
export interface LoginAttempt {
  /** The password was right: the email's counter starts over and the address gets its attempt back. */
  succeeded(): Promise<void>;
}

export interface LoginThrottle {
  /**
   * Counts a login attempt against the email and the client address BEFORE the password is
   * checked, so a burst of parallel guesses cannot slip past the count. Throws RATE_LIMITED
   * (with Retry-After) when either is over its limit, whether the password would be right or not.
   */
  begin(email: string, clientIp: string): Promise<LoginAttempt>;
}

export function createLoginThrottle(store: RateLimitStore, config: RateLimitConfig['login']): LoginThrottle {
  const perEmail: Limiter = store.limiter('login-email', config.maxFailuresPerEmail, config.windowSeconds);
  const perAddress: Limiter = store.limiter('login-ip', config.maxFailuresPerIp, config.windowSeconds);
  const refuse = (retryAfterSeconds: number) =>
    new RateLimitedError(`Too many sign-in attempts: try again in ${retryAfterSeconds} s.`, retryAfterSeconds, 'login');

  return {
    async begin(email, clientIp) {
      const address = addressKey(clientIp);
      const fromAddress = await perAddress.consume(address);
      if (!fromAddress.allowed) throw refuse(fromAddress.retryAfterSeconds);
      const key = emailKey(email);
      const forEmail = await perEmail.consume(key);
      // Unknown and known emails are counted and refused alike: the lock-out tells nothing.
      if (!forEmail.allowed) throw refuse(forEmail.retryAfterSeconds);
      return {
        async succeeded() {
          await Promise.all([perEmail.reset(key), perAddress.refund(address)]);
        },
      };
    },
  };
}
