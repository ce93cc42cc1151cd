import { GraphQLError, getVariableValues, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { directiveEstimator, getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { AppError } from '../errors.js';
import { MAX_PAGE_SIZE, pageSize } from '../pagination.js';

/** Fields (fragments expanded) the estimator walks before it gives up and calls the query too complex. */
export const MAX_QUERY_NODES = 10_000;

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

/** Every number below 1 (zero, negative) counts as the largest page; other values pass unchanged. */
function atLeastOne(value: unknown): unknown {
  if (typeof value === 'number') return value >= 1 ? value : MAX_PAGE_SIZE;
  if (Array.isArray(value)) return value.map(atLeastOne);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, atLeastOne(v)]));
  return value;
}

const complexityDirective = directiveEstimator({ name: 'complexity' });

/**
 * `@complexity(value, multipliers)` (schema/directives.graphql), read by graphql-query-complexity's
 * directive estimator: the field costs `(value + children) x` the product of the named arguments
 * (numbers, or list lengths). A multiplier of 0 or below would make the estimate shrink, and let
 * an expensive sibling through: it counts as the largest page instead (arguments are coerced
 * and at most MAX_INPUT_DEPTH deep by now, so the copy is small).
 */
export const complexityDirectiveEstimator: ComplexityEstimator = (options) => {
  if (!options.field.astNode?.directives?.some((d) => d.name.value === 'complexity')) return undefined; // next estimator
  return complexityDirective({ ...options, args: atLeastOne(options.args) as Record<string, unknown> });
};

/**
 * Not an estimate: refuses a `first` outside 1..MAX_PAGE_SIZE on any field with a BAD_USER_INPUT
 * (pageSize's own message), before the cost of a huge page is computed. Otherwise
 * `documents(first: 1000000)` would be called too complex while `first: 101` is a range error:
 * the argument's range is what the client got wrong, whatever the cost (resolvers check the same
 * range with pageSize). Returns undefined: the next estimator prices the field.
 */
export const pageRangeEstimator: ComplexityEstimator = ({ field, args }) => {
  if (!field.args.some((a) => a.name === 'first') || args.first == null) return undefined;
  try {
    pageSize(args.first as number, 1);
  } catch (err) {
    // HTTP 400, as every refusal before execution (Apollo answers 500 for one without a status).
    if (err instanceof AppError) throw new AppError('BAD_USER_INPUT', err.message, 400);
    throw err;
  }
  return undefined;
};

/** In order: the `first` range check, then a field's `@complexity`, else its page size, else 1 plus its children. */
export const estimators: ComplexityEstimator[] = [pageRangeEstimator, complexityDirectiveEstimator, pagedListEstimator, simpleEstimator({ defaultComplexity: 1 })];

/** The document expands to more than MAX_QUERY_NODES fields: refused as too complex without an estimate. */
export class TooManyNodesError extends Error {}

/** Estimates kept per query document (distinct variables, e.g. ids, would otherwise pile up). */
const MAX_CACHED_VARIABLES = 500;
/** Variables longer than this (as JSON) are not cached: 500 keys of up to a body's size each would hold megabytes per document. */
const MAX_CACHED_KEY_LENGTH = 2048;

// Apollo reuses one parsed document per query text, so the estimate of (document, operation,
// variables) is computed once: a client sending the same query and variables pays a lookup.
const known = new WeakMap<DocumentNode, Map<string, number>>();

/**
 * The estimated cost of running `operation` with `variables` (points: 1 per field, list
 * children times their page size, `@complexity` fields their declared value), or null when the
 * variables do not coerce (execution then refuses the request before any resolver runs).
 * `variables` must have passed checkRequestInput (bounded depth): they are serialised for the cache.
 * Throws TooManyNodesError beyond MAX_QUERY_NODES fields, and BAD_USER_INPUT (AppError) for a
 * `first` outside 1..MAX_PAGE_SIZE (pageRangeEstimator).
 */
export function estimateCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number | null {
  const json = JSON.stringify(variables);
  const key = json.length <= MAX_CACHED_KEY_LENGTH ? `${operation.name?.value ?? ''}:${json}` : null;
  let costs = known.get(document);
  const cached = key === null ? undefined : costs?.get(key);
  if (cached !== undefined) return cached;
  if (getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors) return null;

  let cost: number;
  try {
    // Unnamed only when it is the document's sole operation.
    cost = getComplexity({ schema, query: document, operationName: operation.name?.value, variables, estimators, maxQueryNodes: MAX_QUERY_NODES });
  } catch (err) {
    if (err instanceof GraphQLError && /maximum allowed number of nodes/.test(err.message)) throw new TooManyNodesError();
    throw err; // fail closed: masked to INTERNAL_SERVER_ERROR and logged
  }
  if (key !== null) {
    if (!costs) known.set(document, (costs = new Map()));
    if (costs.size >= MAX_CACHED_VARIABLES) costs.clear();
    costs.set(key, cost);
  }
  return cost;
}
