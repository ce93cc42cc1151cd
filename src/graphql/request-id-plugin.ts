import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from './context.js';

/** Puts the request id on every error, so a user's report leads straight to the log line. */
export function requestIdPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (!errors) return;
          response.body.singleResult.errors = errors.map((e) => ({ ...e, extensions: { ...e.extensions, requestId: contextValue.requestId } }));
        },
      };
    },
  };
}
