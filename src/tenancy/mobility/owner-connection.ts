import pg from 'pg';

/** How long (ms) opening an owner connection may take before the database counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Runs `fn` on one connection to `url` as its own user (the schema owner, as the migrations run:
 * moves, exports and imports write on both sides and manage replication, which the serving role
 * may not), then closes it. Transactions are `fn`'s (see inTransaction): a connection closed
 * mid-transaction rolls it back. Connection failures are thrown as the driver raises them
 * (isConnectionFailure tells them apart).
 */
export async function withOwner<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined); // a connection lost mid-step surfaces as the query's error
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs `fn` inside BEGIN ... COMMIT on `client` (ROLLBACK when it throws). */
export async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await fn();
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/**
 * Enters organization `organizationId` for the rest of the current transaction: sets
 * app.organization_id (transaction-local, `set_config(..., true)`), which the FORCEd row-level
 * security policies read, so an owner that is neither superuser nor BYPASSRLS sees exactly that
 * organization's rows, as a superuser does with the `organization_id = $1` every statement here
 * carries anyway (PostgreSQL docs, "Row Security Policies").
 */
export async function setOrganization(client: pg.Client, organizationId: string): Promise<void> {
  await client.query(`select set_config('app.organization_id', $1, true)`, [organizationId]);
}

/**
 * Runs `fn` in one REPEATABLE READ READ ONLY transaction on `url` as its owner, with
 * app.organization_id set: every statement of `fn` sees the same snapshot (PostgreSQL docs 13.2.2),
 * so chunked reads of a database that keeps serving add up to one consistent state, and nothing
 * `fn` runs can write.
 */
export function readOrganizationSnapshot<T>(url: string, organizationId: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withOwner(url, async (client) => {
    await client.query('begin transaction isolation level repeatable read read only');
    await setOrganization(client, organizationId);
    const result = await fn(client);
    await client.query('commit');
    return result;
  });
}

/**
 * The key of an organization's advisory lock, as `enter_organization` and `enter_tenant` take it
 * shared (tenant-move migration): a 64-bit hash of a namespaced text, so it cannot collide with
 * another use of advisory locks by accident (PostgreSQL: hashtextextended, advisory lock functions).
 */
export const ORGANIZATION_LOCK_KEY = `hashtextextended('tenantql.organization:' || $1::text, 0)`;
