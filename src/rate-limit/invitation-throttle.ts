import type { RateLimitConfig } from '../config/rate-limit.js';
import { RateLimitedError } from './errors.js';
import type { Limiter, RateLimitStore } from './limiter.js';

export interface InvitationThrottle {
  /**
   * Counts one invitation email of the organization; throws RATE_LIMITED (Retry-After) past
   * INVITATIONS_MAX_PER_ORGANIZATION per window, so an organization cannot turn the service into
   * a mail cannon. Keyed by the organization alone, never by the invited address: a count shared
   * across organizations would tell one of them that another had just mailed that address.
   */
  begin(organizationId: string): Promise<void>;
}

/** One fixed-window counter per organization on the rate-limit store (memory or Redis). */
export function createInvitationThrottle(store: RateLimitStore, config: RateLimitConfig['invitations']): InvitationThrottle {
  const perOrganization: Limiter = store.limiter('invitations-org', config.maxPerOrganization, config.windowSeconds);
  return {
    async begin(organizationId) {
      const verdict = await perOrganization.consume(organizationId);
      if (!verdict.allowed) throw new RateLimitedError(`Too many invitations from this organization: try again in ${verdict.retryAfterSeconds} s.`, verdict.retryAfterSeconds, 'invitation');
    },
  };
}
