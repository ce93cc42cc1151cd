import type pg from 'pg';

// Why a second digest beside verify.ts/content-hash.ts: this one runs while the organization's
// writes are paused, so it is the cheapest that catches a changed row (one hash per row in one
// statement per table), and both sides are the same deployment's databases. verify.ts's is
// portable (canonical JSON, md5, across PostgreSQL versions and deployments: archives) and chunked.

/** Per tenant table: rows of the organization and an order-independent hash of their contents. */
export type OrganizationDigest = Record<string, { rows: number; hash: string }>;

/**
 * The organization's rows in each tenant table, counted and hashed on `client`'s database: the sum
 * of each row's 64-bit hash (`hashtextextended` of the row's text, timestamps in UTC; several times
 * cheaper than md5, and this runs while the organization's writes are paused), which does not
 * depend on row order and changes when any value of any row does. The same PostgreSQL major
 * version on both sides gives the same hashes (hashtextextended is not promised stable across
 * major versions; a move between majors compares counts and fails verification on hashes). Every statement is filtered by
 * `organization_id = $1`: no other organization's row is read. Run in one transaction, so both
 * numbers of a table come from one snapshot.
 */
export async function organizationDigest(client: pg.Client, organizationId: string, tables: string[]): Promise<OrganizationDigest> {
  const digest: OrganizationDigest = {};
  await client.query(`begin transaction isolation level repeatable read read only`);
  try {
    await client.query(`set local timezone = 'UTC'`);
    for (const table of tables) {
      const { rows } = await client.query<{ rows: string; hash: string }>(
        `select count(*)::text as rows, coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text as hash
           from ${client.escapeIdentifier(table)} t where t."organization_id" = $1`,
        [organizationId],
      );
      digest[table] = { rows: Number(rows[0]!.rows), hash: rows[0]!.hash };
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
  return digest;
}

/** The tables whose rows or hash differ between two digests (empty: identical). */
export function digestDifferences(a: OrganizationDigest, b: OrganizationDigest): string[] {
  return Object.keys({ ...a, ...b }).filter((t) => a[t]?.rows !== b[t]?.rows || a[t]?.hash !== b[t]?.hash);
}
