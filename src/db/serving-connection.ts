import type { AppConfig } from '../config/index.js';
import type { OrmSettings } from './orm.js';
import { SERVING_ROLE } from './serving-role.js';

/**
 * How the serving pool (every request's queries) connects to a database whose owner URL is
 * `ownerUrl`, so that every statement it sends runs as tenantql_app (row-level security applies):
 *
 * - with DATABASE_SERVING_URL: it logs in there, as a role with tenantql_app's rights only, and
 *   sends no `SET ROLE`: nothing about the role lives in session state, so any pooler may hand
 *   its transactions to any server connection of that login (pgbouncer pools per user and
 *   database, so they never share a server connection with the owner's);
 * - without: it logs in as the owner and runs `SET ROLE tenantql_app` once per connection, which
 *   holds only while each client connection is a PostgreSQL session of its own (direct, or
 *   pgbouncer's session pooling). The embedded default is this case.
 *
 * DB_POOL_MODE=transaction also sends fixed statements unnamed (connection-setup.ts). Throws
 * when asked for transaction pooling without a serving login (config refuses that already;
 * this keeps the rule where the connection is made).
 */
export function servingConnection(
  database: Pick<AppConfig['database'], 'poolMode' | 'servingUrl'>,
  ownerUrl: string,
  /** A dedicated placement's URL is the owner's: its serving login is DATABASE_SERVING_URL's user and password on it. */
  { placement = false }: { placement?: boolean } = {},
): Pick<OrmSettings, 'clientUrl' | 'role' | 'unnamedStatements'> {
  const transactionPooling = database.poolMode === 'transaction';
  if (database.servingUrl) return { clientUrl: placement ? withLogin(ownerUrl, database.servingUrl) : database.servingUrl, unnamedStatements: transactionPooling };
  if (transactionPooling) throw new Error('DB_POOL_MODE=transaction needs DATABASE_SERVING_URL: SET ROLE does not survive transaction pooling');
  return { clientUrl: ownerUrl, role: SERVING_ROLE };
}

/**
 * `url` with the user and password of `login`: a dedicated placement's serving connections log
 * in as the serving role on the placement's own host and database (the role, created in each
 * placement's database cluster, is named once, in DATABASE_SERVING_URL).
 */
function withLogin(url: string, login: string): string {
  const target = new URL(url);
  const from = new URL(login);
  target.username = from.username;
  target.password = from.password;
  return target.toString();
}
