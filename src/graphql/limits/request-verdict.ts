import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import type { GraphQLContext } from '../context.js';
import { AppError } from '../errors.js';
import { estimateCost, MAX_QUERY_NODES, TooManyNodesError } from './cost.js';
import { checkRequestInput } from './request-input.js';

/**
 * What the edge decides about one request, after validation and before anything executes:
 * - `executes: true`: the operation runs; `cost` is its estimate (points, see cost.ts), which
 *   MAX_QUERY_COST limits and the rate-limit budget charges;
 * - `executes: false`: nothing runs. `refusal` is the error to answer with (bad input, too
 *   complex), or null when Apollo or graphql-js refuses the request itself (an unknown
 *   operation name, variables that do not coerce).
 */
export type RequestVerdict = { executes: true; cost: number } | { executes: false; refusal: Error | null };

/** The parts of Apollo's request context the verdict reads. */
export type VerdictRequest = Pick<GraphQLRequestContextDidResolveOperation<GraphQLContext>, 'request' | 'document' | 'operation' | 'schema' | 'contextValue'>;

export const tooComplex = (message: string) => new AppError('QUERY_TOO_COMPLEX', message, 400);

// Apollo runs every plugin's didResolveOperation at once (Promise.all in its request pipeline),
// so no plugin may count on another having run first. Whichever asks first computes the verdict;
// the others get the same object.
const verdicts = new WeakMap<object, RequestVerdict>();

/** The request's verdict, computed once per request (keyed by Apollo's request object). */
export function requestVerdict(rc: VerdictRequest): RequestVerdict {
  let verdict = verdicts.get(rc.request);
  if (!verdict) verdicts.set(rc.request, (verdict = decide(rc)));
  return verdict;
}

function decide({ request, document, operation, schema, contextValue }: VerdictRequest): RequestVerdict {
  try {
    // First: nothing below (JSON.stringify for the cache, variable coercion) may see unchecked input.
    checkRequestInput(request, document);
    if (!operation) return { executes: false, refusal: null }; // no such operation: Apollo answers OPERATION_RESOLUTION_FAILURE
    const cost = estimateCost(schema, document, operation, request.variables ?? {});
    if (cost === null) return { executes: false, refusal: null }; // execution refuses the variables (BAD_USER_INPUT)
    const maxCost = contextValue.config.limits.maxCost;
    if (cost > maxCost) {
      return { executes: false, refusal: tooComplex(`Query too complex: estimated cost ${cost} exceeds the limit of ${maxCost}. Ask for fewer items (first) or fewer fields.`) };
    }
    return { executes: true, cost };
  } catch (err) {
    if (err instanceof TooManyNodesError) return { executes: false, refusal: tooComplex(`Query too complex: more than ${MAX_QUERY_NODES} fields once fragments are expanded.`) };
    if (err instanceof AppError) return { executes: false, refusal: err };
    // Fail closed: not executed; the gate raises it, masked to INTERNAL_SERVER_ERROR and logged once.
    return { executes: false, refusal: err instanceof Error ? err : new Error(String(err)) };
  }
}

/**
 * Raises the verdict's refusal from didResolveOperation, where Apollo answers a thrown
 * GraphQLError with its `extensions.http` status (400 here) before anything executes.
 */
export function requestGatePlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const verdict = requestVerdict(rc);
          if (!verdict.executes && verdict.refusal) throw verdict.refusal;
        },
      };
    },
  };
}
