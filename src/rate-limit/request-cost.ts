import type { RequestVerdict } from '../graphql/limits/request-verdict.js';

// What a request is charged against its budget: the work it causes. The estimate comes from the
// edge's verdict (src/graphql/limits/request-verdict.ts), computed once per request and shared
// with the cost limit, so the two can never disagree or depend on which plugin runs first.

/**
 * Points charged for a request that is refused before execution (bad input, over
 * MAX_QUERY_COST, variables that do not coerce, no such operation): the parsing, validation and
 * estimation it did, which are bounded by MAX_TOKENS and the estimator's node limit (about the
 * work of a small query: a page of 20 documents with three fields is about 100). Never its
 * estimate: one refused 80,000-point query would otherwise spend the whole organization's budget
 * and lock every member out for the window.
 */
export const REFUSED_REQUEST_POINTS = 10;

/**
 * Points the request takes from its budget: its estimated cost when it executes, else
 * REFUSED_REQUEST_POINTS; a whole number, at least 1 and at most `cap` (the whole budget, so
 * that a request costing more than a budget can still run once that budget is full).
 */
export function requestPoints(verdict: RequestVerdict, cap: number): number {
  const points = verdict.executes ? verdict.cost : REFUSED_REQUEST_POINTS;
  return Math.min(Math.max(1, Math.ceil(points)), cap);
}
