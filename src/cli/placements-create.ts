import { createEmbeddedPlacement } from '../db/create-embedded-placement.js';
import { CliError } from './cli-error.js';
import type { CommandOutput } from './command.js';
import { deploymentContext, loadServerConfig } from './deployment-context.js';
import { renderTable } from './table.js';

/**
 * `placements create <name>`: a new placement as a database `tenantql_<name>` on the embedded
 * server that `npm start` runs (createEmbeddedPlacement: created, migrated, named, listed in the
 * shared database's `placement` table). A running server serves it from the first request for
 * one of its organizations. Only on the embedded default: with a database URL configured there
 * is no embedded server, and the operator creates the database and sets PLACEMENT_<NAME>_URL.
 */
export async function placementsCreateCommand(name: string): Promise<CommandOutput<{ name: string; database: string }>> {
  const config = loadServerConfig();
  if (config.mode !== 'multi_tenant') throw new CliError('Dedicated placements only apply to DEPLOYMENT_MODE=multi_tenant: a single-tenant instance has one database.');
  if (config.database.url) {
    const variable = /^[a-z][a-z0-9_]*$/.test(name) ? `PLACEMENT_${name.toUpperCase()}_URL` : 'PLACEMENT_<NAME>_URL';
    throw new CliError(`DATABASE_URL is set, so there is no embedded server to create the placement on: create the database yourself and set ${variable} to its URL.`);
  }
  const ctx = await deploymentContext(config);
  const created = await createEmbeddedPlacement(ctx.sharedUrl, name, { mode: config.mode, logger: ctx.logger, configured: Object.keys(config.placements.urls) });
  return {
    data: { name: created.name, database: created.databaseName },
    text: () =>
      `${renderTable(['placement', 'database', 'schema'], [[created.name, created.databaseName, 'migrated']])}\n\n` +
      `A running server serves it from the first request for one of its organizations: npm run tenant -- create <name> --owner <email> --placement ${created.name}`,
  };
}
