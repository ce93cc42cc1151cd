import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { EdgeLimits } from '../../config/edge.js';
import { costLimitPlugin } from './cost.js';

/**
 * The limits a request must pass before anything executes, in the order they run:
 *
 * - body size: Fastify's `bodyLimit` (server.ts), HTTP 413 before the body is even parsed;
 * - tokens: graphql-js's own `maxTokens` parse option, GRAPHQL_PARSE_FAILED (400), so an
 *   oversized document is never fully parsed;
 * - depth and aliases: graphql-armor validation rules, GRAPHQL_VALIDATION_FAILED (400);
 * - cost: graphql-query-complexity in didResolveOperation, QUERY_TOO_COMPLEX (400).
 *
 * Batched requests stay refused (Apollo's default, `allowBatchedHttpRequests: false`).
 */
export interface EdgeLimitOptions {
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin<BaseContext>[];
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
      // Depth counts fields, so fragments (as codegen'd clients write them) cost nothing extra.
      // Introspection (`__schema`) is exempt: its own type references nest deeper than any query
      // of ours, and it is switched off in production anyway (`__type` still counts).
      maxDepthRule({ ...armor, n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true }),
      maxAliasesRule({ ...armor, n: limits.maxAliases }),
    ],
    plugins: [costLimitPlugin(limits.maxCost)],
  };
}
