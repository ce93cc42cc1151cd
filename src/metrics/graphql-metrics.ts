import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLContext } from '../graphql/context.js';
import { ErrorCode } from '../graphql/errors.js';
import { GRAPHQL_PATH, trustedDocumentOf } from '../graphql/trusted-documents/gate.js';
import { RateLimitedError } from '../rate-limit/errors.js';
import { OTHER_OPERATION, type Metrics, type Outcome } from './metrics.js';

// Requests, latency and error codes are read at the HTTP level, so every answer of the GraphQL
// route counts, whoever gave it: Apollo, the trusted-documents gate, Fastify's body parser or
// error handler. Rate-limit refusals are counted where the error object still says which limit
// refused (an Apollo plugin): the response only carries the code.

const codesSent = new WeakMap<FastifyRequest, string[]>();

/** The `extensions.code` of each error in a JSON response body; [] for anything else. */
export function errorCodesOf(payload: unknown): string[] {
  if (typeof payload !== 'string' || !payload.includes('"errors"')) return [];
  try {
    const errors = (JSON.parse(payload) as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) return [];
    return errors.map((e: { extensions?: { code?: unknown } } | null) => String(e?.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR));
  } catch {
    return [];
  }
}

function outcomeOf(status: number, codes: readonly string[]): Outcome {
  if (status >= 500 || codes.includes(ErrorCode.INTERNAL_SERVER_ERROR)) return 'server_error';
  return status >= 400 || codes.length > 0 ? 'client_error' : 'success';
}

/**
 * Records each GET or POST of GRAPHQL_PATH that gets a GraphQL response (not the playground's
 * HTML page): operation (the trusted document's operation when it was named by id, else
 * `other`), outcome, seconds since arrival (Fastify's reply.elapsedTime) and error codes.
 */
export function registerGraphQLMetrics(app: FastifyInstance, metrics: Metrics): void {
  const counted = (request: FastifyRequest) => request.routeOptions.url === GRAPHQL_PATH && (request.method === 'GET' || request.method === 'POST');
  app.addHook('onSend', async (request, _reply, payload) => {
    if (counted(request)) codesSent.set(request, errorCodesOf(payload));
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    if (!counted(request) || String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return;
    const codes = codesSent.get(request) ?? [];
    metrics.recordRequest({
      operation: trustedDocumentOf(request)?.operationName ?? OTHER_OPERATION,
      outcome: outcomeOf(reply.statusCode, codes),
      seconds: reply.elapsedTime / 1000,
      codes,
    });
  });
}

/** Counts every RATE_LIMITED refusal by the limit that gave it (src/rate-limit/errors.ts). */
export function rateLimitMetricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            if (original instanceof RateLimitedError) metrics.recordRateLimitRefusal(original.limit);
          }
        },
      };
    },
  };
}
