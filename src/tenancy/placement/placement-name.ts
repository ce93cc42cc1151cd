/** The placement every deployment has: DATABASE_URL (or CUSTOMER_DATABASE_URL), or the embedded default. */
export const SHARED_PLACEMENT = 'shared';

/**
 * A placement's name: lower case letters, digits and `_`, starting with a letter, at most 31
 * characters (it appears in variable names, database names and log lines). The same rule is
 * a CHECK in the placement migration.
 */
export const PLACEMENT_NAME = /^[a-z][a-z0-9_]{0,30}$/;

export function isPlacementName(value: unknown): value is string {
  return typeof value === 'string' && PLACEMENT_NAME.test(value);
}
