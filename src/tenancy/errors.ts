/**
 * A tenant-isolation rule was about to be broken by server code (a missing scope, an opt-out,
 * a write into another organization). Always a bug: it is logged in full and reaches the
 * client only as INTERNAL_SERVER_ERROR.
 */
export class TenantIsolationError extends Error {
  override name = 'TenantIsolationError';
}
