import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { isConnectionFailure, PlacementUnavailableError, TenantNotServedError } from '../tenancy/placement/placement-errors.js';

/**
 * The closed set of codes a client can see. Anything else becomes INTERNAL_SERVER_ERROR with
 * the request id, and its details go to the log only (no SQL, stack or library message).
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** Over the organization's request budget or the login-attempt limit; see extensions.retryAfter. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** Over the estimated-cost limit (MAX_QUERY_COST); refused before execution, HTTP 400. */
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** A well-formed document id that the trusted manifest lacks (src/graphql/trusted-documents/); HTTP 400. */
  TRUSTED_DOCUMENT_NOT_FOUND: 'TRUSTED_DOCUMENT_NOT_FOUND',
  /** Free-form query text while TRUSTED_DOCUMENTS=only: send a document id from the manifest; HTTP 400. */
  TRUSTED_DOCUMENT_REQUIRED: 'TRUSTED_DOCUMENT_REQUIRED',
  /** The organization's placement (its database) is down or out of connections; other organizations are served. HTTP 503, extensions.retryAfter. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** The organization is being moved between placements; retry after extensions.retryAfter seconds. HTTP 503. */
  TENANT_MOVING: 'TENANT_MOVING',
  /** The organization's files would pass STORAGE_QUOTA_BYTES_PER_ORGANIZATION (requestFileUpload). */
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = keyof typeof ErrorCode;

/** Raised by services for failures the client can act on. */
export class AppError extends GraphQLError {
  constructor(code: Exclude<ErrorCode, 'INTERNAL_SERVER_ERROR'>, message: string, httpStatus?: number) {
    super(message, { extensions: { code, ...(httpStatus ? { http: { status: httpStatus } } : {}) } });
  }
}

export const unauthenticated = (message = 'Sign in: send a valid token as "Authorization: Bearer <token>".', httpStatus?: number) =>
  new AppError('UNAUTHENTICATED', message, httpStatus);
export const forbidden = (message: string) => new AppError('FORBIDDEN', message);
export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found.`);
export const badInput = (message: string) => new AppError('BAD_USER_INPUT', message);

/** Codes produced by graphql-js and Apollo itself for malformed requests: safe to pass on. */
const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * Every `extensions.code` a response can carry: ours (ErrorCode) and those of graphql-js and
 * Apollo for malformed requests. A closed set, so metrics may use a code as a label value.
 */
export const RESPONSE_ERROR_CODES: readonly string[] = [...new Set([...Object.values(ErrorCode), ...REQUEST_ERROR_CODES])];

export function isClientSafe(formatted: GraphQLFormattedError, error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) return true;
  // Errors raised by graphql-js/Apollo carry no originalError of their own.
  const code = formatted.extensions?.code;
  return typeof code === 'string' && REQUEST_ERROR_CODES.has(code) && !(original instanceof Error && !(original instanceof GraphQLError));
}

/**
 * A retryable refusal: HTTP 503 with a `Retry-After` header (RFC 9110, 10.2.3) and the same
 * seconds in `extensions.retryAfter` for clients that only read the body.
 */
export class RetryLaterError extends AppError {
  constructor(code: 'SERVICE_UNAVAILABLE' | 'TENANT_MOVING', message: string, readonly retryAfterSeconds: number) {
    super(code, message, 503);
    this.extensions.http = { status: 503, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) };
    this.extensions.retryAfter = retryAfterSeconds;
  }
}

export function maskError(formatted: GraphQLFormattedError, error: unknown, log: (err: unknown) => void): GraphQLFormattedError {
  const placementError = placementRefusal(unwrapResolverError(error));
  if (placementError) {
    log(unwrapResolverError(error));
    return { message: placementError.message, locations: formatted.locations, path: formatted.path, extensions: { code: placementError.extensions.code, retryAfter: placementError.retryAfterSeconds } };
  }
  if (isClientSafe(formatted, error)) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  log(unwrapResolverError(error));
  const { locations, path } = formatted;
  return { message: 'Internal server error', locations, path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

/** Seconds a client is told to wait: a placement's outage (often a restart) and a move's final switch (at most seconds). */
const RETRY_UNAVAILABLE_SECONDS = 5;
/** SQLSTATE read_only_sql_transaction (PostgreSQL, Appendix A). */
const READ_ONLY_TRANSACTION = '25006';
const RETRY_MOVING_SECONDS = 2;

/**
 * The client-facing error of a placement failure, or null for any other error: SERVICE_UNAVAILABLE
 * when the organization's database is down, refused or out of connections; TENANT_MOVING while
 * it is between placements. Never names the placement or its database.
 */
export function placementRefusal(err: unknown): RetryLaterError | null {
  if (err instanceof RetryLaterError) return err;
  if (err instanceof PlacementUnavailableError || connectionFailureWithin(err)) {
    return new RetryLaterError('SERVICE_UNAVAILABLE', "Your organization's database is unavailable right now; other organizations are not affected. Retry shortly.", RETRY_UNAVAILABLE_SECONDS);
  }
  // A write while the organization's move pauses its writes: its transaction is read only (tenant-move migration).
  if (err instanceof TenantNotServedError || (err as { code?: string } | null)?.code === READ_ONLY_TRANSACTION) {
    return new RetryLaterError('TENANT_MOVING', 'Your organization is being moved to another database; retry in a moment.', RETRY_MOVING_SECONDS);
  }
  return null;
}

/**
 * Whether `err`, or an error it wraps (`cause`, `originalError`, MikroORM's `previous`), is a
 * failure to reach or keep a database connection (isConnectionFailure): a database that went
 * down under a running server is a retryable outage on every path, not an internal error.
 */
function connectionFailureWithin(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === 'object' && !seen.has(e); ) {
    seen.add(e);
    if (isConnectionFailure(e)) return true;
    const wrapper = e as { cause?: unknown; originalError?: unknown; previous?: unknown };
    e = wrapper.cause ?? wrapper.originalError ?? wrapper.previous;
  }
  return false;
}
