import pg from 'pg';
import { expect, inject, it } from 'vitest';

// Run only by .ci/run (TENANTQL_MUST_FAIL=1, see vitest.config.ts): one test that passes only when
// the global setup really started the database, and one that fails on purpose. `npm test` must
// exit non-zero and the JSON report must count the failure; otherwise a red suite would look green.

it('reaches the database the global setup started', async () => {
  const client = new pg.Client({ connectionString: inject('adminUrl') });
  await client.connect();
  try {
    expect((await client.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await client.end();
  }
});

it('fails on purpose', () => {
  expect(1, 'this failure is expected: .ci/run checks that it is reported').toBe(2);
});
