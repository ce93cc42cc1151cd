import { TenantIsolationError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * The tenant filter's parameter must be a real organization id. `undefined` would become
 * `organization_id IS NULL` (or be dropped entirely), so anything else is refused loudly.
 */
export function assertOrganizationId(value: unknown): string {
  return assertUuid(value, 'organization id');
}

export function assertUuid(value: unknown, what: string): string {
  if (!isUuid(value)) {
    throw new TenantIsolationError(`scope needs a valid ${what}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}
