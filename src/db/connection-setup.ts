/** The part of a `pg` client this module touches (knex's pool hands it over raw). */
export interface PgConnection {
  query(config: unknown, ...rest: unknown[]): unknown;
}

/** What a new pooled connection is set up for (see OrmSettings in orm.ts). */
export interface ConnectionSetup {
  /** `SET ROLE` to this role once, for the life of the session (session pooling or direct only). */
  role?: string;
  /** Send every statement unnamed, even when the caller gave it a name (transaction pooling). */
  unnamedStatements?: boolean;
}

/**
 * Strips `name` from `pg` query configs on this connection, so each statement is parsed as
 * PostgreSQL's unnamed prepared statement in the same round trip as its execution. A named
 * statement is prepared on one server connection and remembered by the client (`pg` then sends
 * only Bind/Execute); behind pgbouncer's transaction pooling the next transaction may run on
 * another server connection, where that name is unknown ("prepared statement ... does not
 * exist") or names a different statement. pgbouncer 1.21 added `max_prepared_statements` to
 * track them; Debian 12 ships 1.18. Sources: PostgreSQL docs "Message Flow / Extended Query"
 * (protocol-flow.html), pgbouncer.org/features, "SQL feature map for pooling modes".
 */
function sendUnnamed(conn: PgConnection): void {
  const query = conn.query.bind(conn);
  conn.query = (config: unknown, ...rest: unknown[]) => {
    // A plain config object only: a Submittable (pg-cursor, pg-query-stream) is passed through.
    if (config && typeof config === 'object' && 'name' in config && typeof (config as { submit?: unknown }).submit !== 'function') {
      const { name: _ignored, ...unnamed } = config as Record<string, unknown>;
      return query(unnamed, ...rest);
    }
    return query(config, ...rest);
  };
}

/**
 * tarn's `afterCreate` for the ORM's pool (knex passes it through): runs once per new client
 * connection, before the pool hands it out. Undefined when there is nothing to set up.
 */
export function afterCreateFor(setup: ConnectionSetup): ((conn: PgConnection, done: (err: Error | null, conn: PgConnection) => void) => void) | undefined {
  const { role, unnamedStatements } = setup;
  if (!role && !unnamedStatements) return undefined;
  return (conn, done) => {
    if (unnamedStatements) sendUnnamed(conn);
    if (!role) return done(null, conn);
    // Quoted identifier: the role name comes from code (SERVING_ROLE), never from a request.
    conn.query(`set role "${role}"`, (err: Error | null) => done(err, conn));
  };
}
