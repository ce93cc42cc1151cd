import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyRequest } from 'fastify';
import type { GraphQLContext } from '../graphql/context.js';
import { placementRefusal } from '../graphql/errors.js';
import { answerRetryableAs503 } from '../graphql/retry-status.js';
import type { TenantSession } from './tenant-session.js';

// The open transaction of each request, so it is closed however the request ends.
const open = new WeakMap<FastifyRequest, TenantSession>();

export function trackRequestTransaction(request: FastifyRequest, session: TenantSession): void {
  open.set(request, session);
}

/**
 * Commits the request's transaction before the response leaves, so a client is never told a
 * write succeeded that did not commit. If the commit fails, the answer becomes an error.
 */
export function requestTransactionPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, logger }) {
          const session = contextValue.tenant?.session;
          if (!session) return;
          try {
            await session.end(true);
          } catch (err) {
            logger.error(`request ${contextValue.requestId}: commit failed: ${String(err)}`);
            // The database going away at the commit is an outage (503, retry), not a bug.
            const refusal = placementRefusal(err);
            if (response.body.kind === 'single') {
              response.body.singleResult = {
                data: null,
                errors: [
                  refusal
                    ? { message: refusal.message, extensions: { code: refusal.extensions.code, retryAfter: refusal.retryAfterSeconds, requestId: contextValue.requestId } }
                    : { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: contextValue.requestId } },
                ],
              };
              answerRetryableAs503(response);
            }
          }
        },
      };
    },
  };
}

/** For Fastify's onResponse: a request that never reached willSendResponse is rolled back. */
export async function closeRequestTransaction(request: FastifyRequest): Promise<void> {
  const session = open.get(request);
  open.delete(request);
  if (session) await session.end(false).catch(() => undefined);
}
