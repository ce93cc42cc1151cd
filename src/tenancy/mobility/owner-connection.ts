import pg from 'pg';

/** How long (ms) opening an owner connection may take before the database counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Runs `fn` on one connection to `url` as its own user (the schema owner: moves write on both
 * sides and manage replication, which the serving role may not), then closes it. Autocommit:
 * `fn` opens the transactions it needs.
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
 * The key of an organization's advisory lock, as `enter_organization` and `enter_tenant` take it
 * shared (tenant-move migration): a 64-bit hash of a namespaced text, so it cannot collide with
 * another use of advisory locks by accident (PostgreSQL: hashtextextended, advisory lock functions).
 */
export const ORGANIZATION_LOCK_KEY = `hashtextextended('tenantql.organization:' || $1::text, 0)`;
