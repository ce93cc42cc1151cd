import pg from 'pg';
import type { Logger } from 'pino';
import type { DeploymentMode } from '../config/index.js';
import { isPlacementName, PLACEMENT_NAME, SHARED_PLACEMENT } from '../tenancy/placement/placement-name.js';
import { embeddedPlacementDatabase, withDatabase } from './embedded-placements.js';
import { migratePlacement } from './placement-database.js';

/** A placement cannot be created as asked; `message` is one sentence for the operator. */
export class PlacementCreationError extends Error {
  override name = 'PlacementCreationError';
}

/**
 * Creates placement `name` as a new database on the embedded server (the shared database's
 * server, reached with `sharedUrl`'s superuser): `tenantql_<name>` (embeddedPlacementDatabase),
 * migrated to this code's schema and named (migratePlacement: placement_identity), then listed
 * in the shared database's `placement` table, which a running server re-reads when it is asked
 * for a placement it does not know (EmbeddedPlacements.refresh). `configured`: the names of
 * PLACEMENT_<NAME>_URL, which the name must not shadow. If migrating or listing fails, the new
 * database is dropped again, so a failed attempt can simply be repeated.
 *
 * Throws PlacementCreationError for an invalid or reserved name, a name already listed or
 * configured, or an existing database of that name; connection errors as the driver raises them.
 * Returns the database's name.
 */
export async function createEmbeddedPlacement(
  sharedUrl: string,
  name: string,
  { mode, logger, configured }: { mode: DeploymentMode; logger: Logger; configured: string[] },
): Promise<{ name: string; databaseName: string }> {
  if (name === SHARED_PLACEMENT) throw new PlacementCreationError(`"${SHARED_PLACEMENT}" is the shared placement's name; choose another.`);
  if (!isPlacementName(name)) throw new PlacementCreationError(`"${name}" is not a valid placement name: it must match ${PLACEMENT_NAME} (lower case letters, digits, _; at most 31).`);
  if (configured.includes(name)) throw new PlacementCreationError(`Placement ${name} already exists: PLACEMENT_${name.toUpperCase()}_URL configures it.`);
  const databaseName = embeddedPlacementDatabase(name);

  const shared = await connect(sharedUrl);
  try {
    const listed = await shared.query('select 1 from "placement" where "name" = $1', [name]);
    if (listed.rowCount) throw new PlacementCreationError(`Placement ${name} already exists on the embedded server.`);
    const exists = await shared.query('select 1 from pg_database where datname = $1', [databaseName]);
    if (exists.rowCount) throw new PlacementCreationError(`The embedded server already has a database ${databaseName}, which no placement lists: drop it or choose another name.`);
    // CREATE DATABASE cannot run inside a transaction block; it runs on the shared database's connection.
    await shared.query(`create database ${shared.escapeIdentifier(databaseName)}`);
    try {
      const problems = await migratePlacement(withDatabase(sharedUrl, databaseName), name, mode, logger);
      if (problems.length > 0) throw new PlacementCreationError(`Placement ${name} was created but refused: ${problems.join(' ')}`);
      await shared.query('insert into "placement" ("name", "database_name") values ($1, $2)', [name, databaseName]);
    } catch (err) {
      await shared.query(`drop database if exists ${shared.escapeIdentifier(databaseName)} with (force)`).catch(() => undefined);
      throw err;
    }
  } finally {
    await shared.end().catch(() => undefined);
  }
  return { name, databaseName };
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
