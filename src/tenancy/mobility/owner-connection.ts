import pg from 'pg';

/** How long (ms) opening an owner connection may take before the database counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Runs `fn` on one connection to `url` as its own user (the database's owner, as the migrations
 * run) and closes it. Transactions are `fn`'s: a connection closed mid-transaction rolls it back.
 * Connection failures are thrown as the driver raises them (isConnectionFailure tells them apart).
 */
export async function withOwnerConnection<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined); // a connection lost mid-work surfaces as the statement's error
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
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
  return withOwnerConnection(url, async (client) => {
    await client.query('begin transaction isolation level repeatable read read only');
    await setOrganization(client, organizationId);
    const result = await fn(client);
    await client.query('commit');
    return result;
  });
}
