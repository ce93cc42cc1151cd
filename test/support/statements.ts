import pg from 'pg';
import { vi } from 'vitest';

/**
 * Every SQL statement any pg client of this process sends while `fn` runs, as text: the ORM's
 * (BEGIN and COMMIT included) and any statement sent to a connection directly. Counted at the
 * driver because that is what reaches PostgreSQL; pg_stat_statements is not loaded in the test
 * server. The test server runs in-process, so its statements are counted; nothing else may run.
 */
export async function statementsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const spy = vi.spyOn(pg.Client.prototype, 'query');
  try {
    await fn();
    return spy.mock.calls.map(([query]) => (typeof query === 'string' ? query : String((query as { text?: unknown }).text)));
  } finally {
    spy.mockRestore();
  }
}
