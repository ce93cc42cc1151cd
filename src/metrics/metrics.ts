import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RESPONSE_ERROR_CODES } from '../graphql/errors.js';
import { RATE_LIMITS, type RateLimitName } from '../rate-limit/errors.js';

// The service's Prometheus metrics (prom-client), in one registry per server so that tests can
// build several. Label values come from closed sets only, so the number of series is bounded
// and nothing about a tenant or a client's text reaches a label: operation names from the
// trusted manifest (or `other`), outcomes, error codes and rate limits from fixed lists.
// Per-organization detail belongs in the logs (each line carries reqId, organizationId, operationName).

/** How a GraphQL request ended: no error; refused or failed for the client's reasons; failed for ours (5xx or INTERNAL_SERVER_ERROR). */
export const OUTCOMES = ['success', 'client_error', 'server_error'] as const;
export type Outcome = (typeof OUTCOMES)[number];


/** The label of every operation that is not a trusted manifest document run by its id. */
export const OTHER_OPERATION = 'other';
/** The label of an error code outside RESPONSE_ERROR_CODES (none is expected). */
export const OTHER_CODE = 'OTHER';

/** Connection counts of a pool (knex's tarn pool: src/db/pool-stats.ts). */
export interface PoolStats {
  /** Connections lent to a request or transaction. */
  active: number;
  /** Open connections waiting to be lent. */
  idle: number;
  /** Requests for a connection waiting because all `max` are lent. */
  pending: number;
  max: number;
}

export interface Metrics {
  registry: Registry;
  /**
   * One GraphQL HTTP request: `operation` is a manifest operation name or `other` (anything
   * else is counted as `other`), `seconds` from the request's arrival to its response, `codes` the
   * `extensions.code` of each error in the response.
   */
  recordRequest(request: { operation: string; outcome: Outcome; seconds: number; codes: readonly string[] }): void;
  /** A request refused by a rate limit or throttle. */
  recordRateLimitRefusal(limit: RateLimitName): void;
  /** Reports the serving pool's counts at every scrape. */
  observePool(stats: () => PoolStats): void;
}

/** Latency buckets in seconds: 5 ms (a cached read) to 10 s (a request far too slow). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A registry with Node's default metrics (prom-client's collectDefaultMetrics: CPU, memory,
 * event-loop lag, GC, handles) and the service's own, named `tenantql_*`. `operationNames` is
 * the manifest's set of operation names, the only operation label values besides `other`.
 */
export function createMetrics(operationNames: ReadonlySet<string>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({
    name: 'tenantql_graphql_requests_total',
    help: 'GraphQL requests by operation (a trusted manifest operation run by id, or "other") and outcome (success, client_error, server_error).',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'tenantql_graphql_request_duration_seconds',
    help: 'Time from the arrival of a GraphQL request to its response, in seconds, by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'tenantql_graphql_errors_total',
    help: 'Errors in GraphQL responses, by extensions.code.',
    labelNames: ['code'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: 'tenantql_rate_limit_refusals_total',
    help: 'Requests refused by a rate limit: the organization or address budget, or the login, sign-up or invitation throttle.',
    labelNames: ['limit'] as const,
    registers,
  });
  // Every closed-set series exists from the start (at 0), so rate() sees the first event.
  for (const code of RESPONSE_ERROR_CODES) errors.labels({ code }).inc(0);
  for (const limit of RATE_LIMITS) rateLimited.labels({ limit }).inc(0);

  const codes = new Set(RESPONSE_ERROR_CODES);
  return {
    registry,
    recordRequest({ operation, outcome, seconds, codes: sent }) {
      const labels = { operation: operationNames.has(operation) ? operation : OTHER_OPERATION, outcome };
      requests.labels(labels).inc();
      duration.labels(labels).observe(seconds);
      for (const code of sent) errors.labels({ code: codes.has(code) ? code : OTHER_CODE }).inc();
    },
    recordRateLimitRefusal: (limit) => rateLimited.labels({ limit }).inc(),
    observePool(stats) {
      const gauge = (name: string, help: string, read: (s: PoolStats) => number) =>
        new Gauge({ name, help, registers, collect() { this.set(read(stats())); } });
      gauge('tenantql_db_pool_connections_active', 'Database connections lent to requests (the serving pool).', (s) => s.active);
      gauge('tenantql_db_pool_connections_idle', 'Open database connections not lent (the serving pool).', (s) => s.idle);
      gauge('tenantql_db_pool_connections_pending', 'Requests waiting for a database connection because all are lent (the serving pool).', (s) => s.pending);
      gauge('tenantql_db_pool_connections_max', 'Largest number of database connections of the serving pool (DB_POOL_MAX).', (s) => s.max);
    },
  };
}
