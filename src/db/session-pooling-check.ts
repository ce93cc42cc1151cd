import type pg from 'pg';
import type { DbPoolMode } from '../config/pooling.js';
import type { Orm } from './orm.js';

type KnexPool = { client: { acquireConnection(): Promise<pg.ClientBase>; releaseConnection(connection: pg.ClientBase): Promise<unknown> } };

const backendPid = async (connection: pg.ClientBase) => (await connection.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

/**
 * With DB_POOL_MODE=session the serving pool relies on each of its connections being a
 * PostgreSQL session of its own (its SET ROLE, its named statements). A pgbouncer in transaction
 * (or statement) pooling mode in front breaks that silently: requests could run as the owner,
 * outside row-level security. This probe catches it: connection A asks for its backend's pid and
 * stays checked out, idle; connection B opens a transaction and asks the same. Two client
 * connections that are sessions of their own never share a backend, so the same pid means A's
 * server session was handed to B between A's transactions: a transaction pooler. (pgbouncer
 * reuses the most recently used server connection first, `server_round_robin = 0`, so at start-up
 * this finds one; a miss is possible under load, a false alarm is not.) Statement pooling refuses
 * the BEGIN, which is reported too.
 *
 * Returns one sentence per problem (empty: none found); nothing is checked with
 * DB_POOL_MODE=transaction, or with a pool of one connection (the probe needs two).
 */
export async function sessionPoolingProblems(serving: Orm, poolMode: DbPoolMode): Promise<string[]> {
  if (poolMode === 'transaction' || (serving.config.get('pool')?.max ?? 0) < 2) return [];
  const knex = serving.em.getConnection('write').getKnex() as unknown as KnexPool;
  const a = await knex.client.acquireConnection();
  try {
    const pidA = await backendPid(a);
    const b = await knex.client.acquireConnection();
    try {
      await b.query('begin');
      const pidB = await backendPid(b).finally(() => b.query('rollback'));
      if (pidA !== pidB) return [];
      return [
        'two serving connections shared one PostgreSQL session (a pgbouncer in transaction pooling mode?): ' +
          'requests could run without their SET ROLE, as the owner. Set DB_POOL_MODE=transaction and DATABASE_SERVING_URL (README: "Behind pgbouncer"), or use session pooling.',
      ];
    } catch (err) {
      return [`the session-pooling probe failed (a pgbouncer in statement pooling mode?): ${err instanceof Error ? err.message : String(err)}`];
    } finally {
      await knex.client.releaseConnection(b);
    }
  } finally {
    await knex.client.releaseConnection(a);
  }
}
