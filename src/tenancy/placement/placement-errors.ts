import type { OrganizationState } from '../../db/entities/organization.js';

/** SQLSTATE raised by `enter_organization` / `enter_tenant` when this database does not serve the organization (placement migration). */
export const FENCED_SQLSTATE = 'TQ001';

/**
 * The database refused to enter an organization it knows but does not serve: placed elsewhere,
 * not active, or switched to another placement epoch since the caller routed (fencing). The
 * caller's routing was stale: look the organization up again and retry once.
 */
export class TenantFencedError extends Error {
  override name = 'TenantFencedError';
  constructor(
    readonly organizationId: string,
    /** The organization's state as that database records it. */
    readonly state: OrganizationState,
    /** That database's epoch for the organization. */
    readonly epoch: number,
  ) {
    super(`organization ${organizationId} is not served by this placement (state ${state}, epoch ${epoch})`);
  }
}

/**
 * A placement's database could not be reached or used (refused, unknown host, shutting down, no
 * such database, no free connection in time). Only that placement's organizations are affected;
 * the GraphQL layer answers SERVICE_UNAVAILABLE with a retry hint.
 */
export class PlacementUnavailableError extends Error {
  override name = 'PlacementUnavailableError';
  constructor(
    readonly placement: string,
    /** Why, for the log (never sent to clients). */
    readonly reason: string,
  ) {
    super(`placement ${placement} is unavailable: ${reason}`);
  }
}

/**
 * The organization is being moved or is otherwise not accepting requests right now; retry later
 * (TENANT_MOVING). Raised after a fresh directory lookup, so it is not a stale cache.
 */
export class TenantNotServedError extends Error {
  override name = 'TenantNotServedError';
  constructor(
    readonly organizationId: string,
    readonly state: OrganizationState,
  ) {
    super(`organization ${organizationId} is ${state}`);
  }
}

type PgError = { code?: string; detail?: string; hint?: string; message?: string };

/** The TenantFencedError a `TQ001` error from the database stands for, or null for any other error. */
export function fencedError(err: unknown, organizationId: string): TenantFencedError | null {
  const pg = err as PgError | null;
  if (!pg || pg.code !== FENCED_SQLSTATE) return null;
  return new TenantFencedError(organizationId, (pg.detail ?? 'archived') as OrganizationState, Number(pg.hint ?? 0));
}

/**
 * Connection-level failures (PostgreSQL error classes 08 "connection exception" and 57P
 * "operator intervention", 3D000 "invalid catalog name"; Node's socket errors; knex's pool
 * timeout), as opposed to errors of a statement. Source: PostgreSQL docs, Appendix A "Error Codes".
 */
export function isConnectionFailure(err: unknown): boolean {
  const e = err as PgError & { errno?: number; syscall?: string } | null;
  if (!e) return false;
  const code = e.code ?? '';
  if (/^08/.test(code) || /^57P0[1-4]$/.test(code) || code === '3D000' || code === '53300') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE'].includes(code)) return true;
  const message = e.message ?? '';
  // node-postgres's words for a client whose socket already failed ("Client has encountered a connection error and is not queryable").
  return /Timeout acquiring a connection|Connection terminated|terminating connection|the database system is (starting up|shutting down)|encountered a connection error/.test(message);
}
