import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { GraphQLContext } from './context.js';

/**
 * Puts the organization (once the request acts in one) and the operation name (once Apollo has
 * resolved it) on every later log line of the request, Fastify's "request completed" line
 * included: the request and its reply share one child logger (pino's setBindings). Per-tenant
 * detail lives here, in the logs; metrics carry no organization id.
 */
export function requestLogPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      const log = contextValue.log as Partial<Pick<Logger, 'setBindings'>>;
      if (typeof log.setBindings !== 'function') return {};
      const bind = log.setBindings.bind(log);
      if (contextValue.tenant) bind({ organizationId: contextValue.tenant.organizationId });
      return {
        // A GraphQL name (graphql-js parsed it), never raw client text.
        async didResolveOperation({ operationName }) {
          bind({ operationName });
        },
      };
    },
  };
}
