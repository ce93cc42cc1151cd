import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import type { GraphQLContext } from './context.js';
import { ErrorCode } from './errors.js';

// README's error table: SERVICE_UNAVAILABLE and TENANT_MOVING are HTTP 503 with Retry-After.
// Those refusals are often raised inside a resolver (a placement that went down mid-request, a
// write during a move's pause) and only recognised by formatError (maskError), after Apollo has
// read any `extensions.http` of the thrown error; so the status and header are set here, from
// the response's own formatted errors, on every path that reaches willSendResponse.

const RETRYABLE: ReadonlySet<unknown> = new Set([ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.TENANT_MOVING]);

/**
 * Makes `response` HTTP 503 with `Retry-After: <seconds>` (the largest `extensions.retryAfter`
 * among its errors, whole seconds) when any of its errors is SERVICE_UNAVAILABLE or
 * TENANT_MOVING; any other response is left as it is.
 */
export function answerRetryableAs503(response: GraphQLResponse): void {
  if (response.body.kind !== 'single') return;
  const retryable = (response.body.singleResult.errors ?? []).filter((e) => RETRYABLE.has(e.extensions?.code));
  if (retryable.length === 0) return;
  const seconds = Math.max(1, ...retryable.map((e) => Math.ceil(Number(e.extensions?.retryAfter) || 0)));
  response.http.status = 503;
  response.http.headers.set('retry-after', String(seconds));
}

/** The plugin that applies answerRetryableAs503 to every GraphQL response. */
export function retryStatusPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          answerRetryableAs503(response);
        },
      };
    },
  };
}
