import type { Knex } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Role } from '../db/entities/index.js';
import type { UserRecord } from '../graphql/models.js';
import { ConnectionQueue } from './connection-queue.js';
import { assertUuid } from './organization-id.js';
import { fencedError } from './placement/placement-errors.js';
import type { TenantEntityManager } from './tenant-entity-manager.js';
import { TenantSql } from './tenant-sql.js';

/**
 * The one transaction a tenant request runs in, on one connection of the ORM's pool: fixed
 * reads (TenantSql) and the ORM (`em`) both run in it. Opened and entered in one round trip,
 * ended by `end` (the request-transaction plugin, or Fastify's hooks as the safety net).
 */
export interface TenantSession {
  role: Role;
  /** The signed-in user, read with the membership (GraphQL's `createdBy` of their own writes, `me`). */
  user: UserRecord;
  sql: TenantSql;
  /** Commits or rolls back, then returns the connection to the pool. Safe to call twice. */
  end(commit: boolean): Promise<void>;
  /**
   * Runs `task` once the transaction has committed (after the connection is back in the pool),
   * before `end(true)` returns; never when it rolls back. For side effects outside the database
   * that must not happen for a write that did not commit (deleting a file's bytes). A task's
   * failure is not the request's: whatever must happen anyway is also recorded in the
   * transaction for a sweep to finish (file_lifecycle migration).
   */
  afterCommit(task: () => Promise<void>): void;
}

interface EnteredRow {
  role: Role;
  email: string;
  name: string;
  created_at: Date;
}

type KnexInternals = {
  client: {
    acquireConnection(): Promise<pg.ClientBase>;
    releaseConnection(connection: pg.ClientBase): Promise<unknown>;
    transaction(container: (trx: Knex.Transaction) => void, config: object): Promise<unknown> & { begin(connection: unknown): Promise<unknown> };
  };
};

/**
 * A knex transaction over a connection whose transaction we already began, so the ORM joins it.
 * knex would send its own BEGIN; ours went out with the settings and the membership check.
 * (knex runs the transaction body a tick after construction, so replacing `begin` is in time.)
 */
function adoptTransaction(knex: KnexInternals, connection: pg.ClientBase): Promise<Knex.Transaction> {
  return new Promise((resolve, reject) => {
    const trx = knex.client.transaction(resolve, { connection, doNotRejectOnRollback: true });
    trx.begin = () => Promise.resolve();
    trx.catch(reject);
  });
}

/** Who enters which organization, routed by which placement epoch (null: the database's own, as in single-tenant start-up paths). */
export interface SessionTarget {
  organizationId: string;
  userId: string;
  /** The epoch the directory gave with the placement; the database refuses any other (fencing). */
  epoch: number | null;
}

/**
 * Begins the request's transaction and enters the organization in ONE round trip: BEGIN, then
 * `enter_organization` checks that this database serves the organization at this epoch (else
 * SQLSTATE TQ001, raised here as TenantFencedError), sets the transaction-local settings the RLS
 * policies read and returns the user's role and user row (none: not a member, and the
 * transaction is rolled back). One simple-protocol string with two statements; its only values
 * are UUIDs checked by `assertUuid` (hex and dashes) and an integer.
 */
export async function openTenantSession(em: TenantEntityManager, target: SessionTarget): Promise<TenantSession | null> {
  const organizationId = assertUuid(target.organizationId, 'organization id');
  const userId = assertUuid(target.userId, 'user id');
  const epoch = target.epoch === null ? 'null' : String(Math.trunc(target.epoch));
  const knex = em.getConnection('write').getKnex() as unknown as KnexInternals;
  const connection = await knex.client.acquireConnection();
  // Every statement of the request, the ORM's and TenantSql's, waits its turn on this queue.
  const queue = ConnectionQueue.install(connection);
  let trx: (Knex.Transaction & { executionPromise?: Promise<unknown> }) | null = null;
  let sql: TenantSql | null = null;
  let open = true;
  const committed: (() => Promise<void>)[] = [];
  const end = async (commit: boolean) => {
    if (!open) return;
    open = false;
    // Nothing may reach this connection once it is back in the pool, where another request
    // (another organization) will use it: both handles refuse from here on.
    sql?.close();
    try {
      if (!trx) await connection.query('rollback');
      else if (!commit) await trx.rollback();
      else {
        // knex reports a failed COMMIT through the execution promise, not through commit().
        void trx.commit();
        await trx.executionPromise;
      }
    } finally {
      queue.detach();
      await knex.client.releaseConnection(connection);
    }
    if (commit && trx) await Promise.allSettled(committed.splice(0).map((task) => task()));
  };
  const afterCommit = (task: () => Promise<void>) => {
    if (open) committed.push(task);
  };
  try {
    const results = (await connection.query({
      text: `begin; select * from enter_organization('${organizationId}', '${userId}', ${epoch})`,
      types: pg.types, // timestamps as Date (the ORM sets its connections to return strings)
    })) as unknown as pg.QueryResult<EnteredRow>[];
    const entered = results[1]?.rows[0];
    if (!entered) {
      await end(false);
      return null;
    }
    trx = await adoptTransaction(knex, connection);
    em.setTransactionContext(trx);
    sql = new TenantSql(queue, organizationId);
    const user = { id: userId, email: entered.email, name: entered.name, createdAt: entered.created_at };
    return { role: entered.role, user, sql, end, afterCommit };
  } catch (err) {
    await end(false).catch(() => undefined);
    throw fencedError(err, organizationId) ?? err;
  }
}
