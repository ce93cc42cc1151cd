import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, getVariableValues, type DocumentNode } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { AppError } from '../errors.js';
import { MAX_PAGE_SIZE } from '../pagination.js';
import { recordRequestCost } from '../../rate-limit/request-cost.js';

/** Fields (fragments expanded) the estimator walks before it gives up and calls the query too complex. */
const MAX_QUERY_NODES = 10_000;

/**
 * A field with a `first` argument returns up to `first` items, so its children cost `first` times
 * over. `first` is the value sent, or the schema default when left out (documents: 20,
 * activity: 50), or the largest page when neither says (null, or no default).
 */
export const pagedListEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!field.args.some((a) => a.name === 'first')) return undefined; // not a paged list: next estimator
  const first = typeof args.first === 'number' && args.first > 0 ? args.first : MAX_PAGE_SIZE;
  return 1 + first * childComplexity;
};

/** Estimates kept per query document (distinct variables, e.g. ids, would otherwise pile up). */
const MAX_CACHED_VARIABLES = 500;

/** Every other field costs 1 plus its children. */
export const estimators: ComplexityEstimator[] = [pagedListEstimator, simpleEstimator({ defaultComplexity: 1 })];

export const tooComplex = (message: string) => new AppError('QUERY_TOO_COMPLEX', message, 400);

function charge(context: BaseContext, cost: number, maxCost: number): void {
  // The same estimate is what the request takes from its organization's rate-limit budget.
  recordRequestCost(context, cost);
  if (cost > maxCost) throw tooComplex(`Query too complex: estimated cost ${cost} exceeds the limit of ${maxCost}. Ask for fewer items (first) or fewer fields.`);
}

/**
 * Refuses an operation whose estimated cost exceeds `maxCost`, after validation and before
 * execution (didResolveOperation). A plugin rather than a validation rule: the cost depends on
 * the request's variables (`documents(first: $n)`), which validation rules never see.
 */
export function costLimitPlugin(maxCost: number): ApolloServerPlugin<BaseContext> {
  // Apollo reuses one parsed document per query text, so the estimate of (document, operation,
  // variables) is computed once: a client sending the same query and variables pays a lookup.
  const known = new WeakMap<DocumentNode, Map<string, number>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request, contextValue }) {
          if (!operation) return; // no such operation: execution refuses the request before any resolver
          const key = `${operation.name?.value ?? ''}:${JSON.stringify(request.variables ?? {})}`;
          let costs = known.get(document);
          const cached = costs?.get(key);
          if (cached !== undefined) return charge(contextValue, cached, maxCost);
          // Variables that do not coerce: execution refuses them before any resolver runs (BAD_USER_INPUT).
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          if (coerced.errors) return;

          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              // Unnamed only when it is the document's sole operation.
              operationName: operation.name?.value,
              variables: request.variables ?? {},
              estimators,
              maxQueryNodes: MAX_QUERY_NODES,
            });
          } catch (err) {
            if (err instanceof GraphQLError && /maximum allowed number of nodes/.test(err.message)) {
              throw tooComplex(`Query too complex: more than ${MAX_QUERY_NODES} fields once fragments are expanded.`);
            }
            throw err; // fail closed: masked to INTERNAL_SERVER_ERROR and logged
          }
          if (!costs) known.set(document, (costs = new Map()));
          if (costs.size >= MAX_CACHED_VARIABLES) costs.clear();
          costs.set(key, cost);
          charge(contextValue, cost, maxCost);
        },
      };
    },
  };
}
