import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context.js';
import { requestVerdict } from '../graphql/limits/request-verdict.js';
import { addressKey } from './client-address.js';
import { RateLimitedError } from './errors.js';
import type { Limiter } from './limiter.js';
import { requestPoints } from './request-cost.js';

export interface RequestBudgets {
  /** Per organization: requests acting in an organization (a signed-in member). */
  organization: Limiter;
  /** Per client address: every other request (anonymous, or signed in without an active organization). */
  address: Limiter;
}

/**
 * The noisy-neighbour guard: each organization draws its requests from its own budget, so one
 * tenant's burst cannot use up the capacity the others rely on. Charged after validation and
 * before execution (didResolveOperation), when the operation is known and nothing has run:
 * the request's estimated cost, or a small fixed amount when the edge refuses it (see
 * request-cost.ts). An exhausted budget answers RATE_LIMITED (HTTP 429, Retry-After) until its
 * window ends.
 */
export function rateLimitPlugin(budgets: RequestBudgets): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const ctx = rc.contextValue;
          const organizationId = ctx.tenant?.organizationId;
          const budget = organizationId ? budgets.organization : budgets.address;
          const key = organizationId ? `org:${organizationId}` : `ip:${addressKey(ctx.clientIp)}`;
          // The same verdict the edge's gate acts on (src/graphql/limits/request-verdict.ts),
          // whichever of the two didResolveOperation hooks Apollo happens to run first.
          const verdict = await budget.consume(key, requestPoints(requestVerdict(rc), budget.points));
          if (verdict.allowed) return;

          const who = organizationId ? { organizationId } : { clientIp: ctx.clientIp };
          if (verdict.justExhausted) ctx.log.warn({ ...who, retryAfter: verdict.retryAfterSeconds }, 'request budget exhausted');
          else ctx.log.debug({ ...who }, 'request refused: budget exhausted');
          throw new RateLimitedError(
            `Too many requests ${organizationId ? 'for this organization' : 'from this address'}: try again in ${verdict.retryAfterSeconds} s.`,
            verdict.retryAfterSeconds,
            organizationId ? 'organization' : 'address',
          );
        },
      };
    },
  };
}
