import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { afterCreateFor, type PgConnection } from '../src/db/connection-setup.js';
import { SERVING_ROLE } from '../src/db/serving-role.js';
import { createTestDatabase } from './support/database.js';

// What a new pooled connection is set up with (src/db/connection-setup.ts), on a real connection
// without pgbouncer, so it is checked where pgbouncer is missing too (test/pgbouncer.test.ts
// checks it through pgbouncer).

/** A connection set up as the pool would set it up, for `work`. */
async function withSetUp<T>(setup: Parameters<typeof afterCreateFor>[0], work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: await createTestDatabase() });
  await client.connect();
  try {
    const afterCreate = afterCreateFor(setup);
    if (afterCreate) await new Promise<void>((resolve, reject) => afterCreate(client as unknown as PgConnection, (err) => (err ? reject(err) : resolve())));
    return await work(client);
  } finally {
    await client.end();
  }
}

const named = { name: 'probe_statement', text: 'select $1::int + 1 as n', values: [41] };
const prepared = (client: pg.Client) => client.query<{ name: string }>('select name from pg_prepared_statements').then((r) => r.rows.map((row) => row.name));

describe('afterCreateFor', () => {
  it('nothing to set up: no hook', () => {
    expect(afterCreateFor({})).toBeUndefined();
  });

  it('unnamed statements: a named query runs, twice, and leaves no prepared statement on the session', async () => {
    await withSetUp({ unnamedStatements: true }, async (client) => {
      for (let i = 0; i < 2; i++) expect((await client.query(named)).rows).toEqual([{ n: 42 }]);
      expect(await prepared(client)).toEqual([]);
    });
  });

  it('by default a named query is prepared once on the session (what transaction pooling cannot carry)', async () => {
    await withSetUp({ role: SERVING_ROLE }, async (client) => {
      expect((await client.query(named)).rows).toEqual([{ n: 42 }]);
      expect(await prepared(client)).toEqual(['probe_statement']);
    });
  });

  it('role: every statement on the connection runs as that role; with unnamed statements too', async () => {
    for (const unnamedStatements of [false, true]) {
      await withSetUp({ role: SERVING_ROLE, unnamedStatements }, async (client) => {
        expect((await client.query('select current_user as who')).rows).toEqual([{ who: SERVING_ROLE }]);
      });
    }
  });
});
