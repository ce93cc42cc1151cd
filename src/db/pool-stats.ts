import type { Knex } from '@mikro-orm/postgresql';
import type { PoolStats } from '../metrics/metrics.js';
import type { Orm } from './orm.js';

/**
 * Reads the connection counts of an ORM's pool for metrics: MikroORM's knex keeps its
 * connections in a tarn pool (`knex.client.pool`; tarn's numUsed, numFree, numPendingAcquires).
 * Runs no statement. `max` is the configured size (DB_POOL_MAX): tarn keeps its own private.
 */
export function poolStatsOf(orm: Orm, max: number): () => PoolStats {
  const client = orm.em.getConnection().getKnex().client as Knex.Client;
  return () => {
    const pool = client.pool; // created with the client; undefined only once it is destroyed
    return pool ? { active: pool.numUsed(), idle: pool.numFree(), pending: pool.numPendingAcquires(), max } : { active: 0, idle: 0, pending: 0, max };
  };
}
