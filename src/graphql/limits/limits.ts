import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { EdgeLimits } from '../../config/edge.js';
import type { GraphQLContext } from '../context.js';
import { knownOperationTypesRule } from './operation-types.js';
import { requestGatePlugin } from './request-verdict.js';

/**
 * The limits a request must pass before anything executes, in the order they run:
 *
 * - body size: Fastify's `bodyLimit` (server.ts), HTTP 413 before the body is even parsed;
 * - tokens: graphql-js's own `maxTokens` parse option, GRAPHQL_PARSE_FAILED (400), so an
 *   oversized document is never fully parsed;
 * - operation type: one the schema has no root type for (`subscription`), GRAPHQL_VALIDATION_FAILED (400);
 * - depth and aliases: graphql-armor validation rules, GRAPHQL_VALIDATION_FAILED (400);
 * - input: every string of the variables, extensions, operation name and document literals
 *   free of control characters and lone surrogates, variables and extensions at most
 *   MAX_INPUT_DEPTH deep, BAD_USER_INPUT (400) (request-input.ts);
 * - cost: graphql-query-complexity, QUERY_TOO_COMPLEX (400) (cost.ts).
 *
 * Input and cost are decided once per request in didResolveOperation (request-verdict.ts); the
 * rate-limit budget charges the same verdict (src/rate-limit/graphql-plugin.ts).
 *
 * Batched requests stay refused (Apollo's default, `allowBatchedHttpRequests: false`).
 */
export interface EdgeLimitOptions {
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin<GraphQLContext>[];
}

/** armor's rules throw by default, which would escape graphql-js's validate(); report instead. */
const reportTo = (ctx: ValidationContext | null, error: GraphQLError) => {
  // armor prefixes "Syntax Error: "; this is a validation error, and its code says so.
  ctx?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: error.extensions }));
};

export function edgeLimits(limits: EdgeLimits): EdgeLimitOptions {
  const armor = { exposeLimits: true, propagateOnRejection: false, onReject: [reportTo] };
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [
      knownOperationTypesRule,
      // Depth counts fields, so fragments (as codegen'd clients write them) cost nothing extra.
      // Introspection (`__schema`) is exempt: its own type references nest deeper than any query
      // of ours, and it is switched off in production anyway (`__type` still counts).
      maxDepthRule({ ...armor, n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true }),
      maxAliasesRule({ ...armor, n: limits.maxAliases }),
    ],
    // MAX_QUERY_COST is read from the request's config (contextValue.config.limits.maxCost).
    plugins: [requestGatePlugin()],
  };
}
