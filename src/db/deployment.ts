import type { Logger } from 'pino';
import { ConfigError, type AppConfig } from '../config/index.js';
import { PlacementDirectory } from '../tenancy/placement/directory.js';
import { SHARED_PLACEMENT } from '../tenancy/placement/placement-name.js';
import { PlacementPools } from '../tenancy/placement/placement-pools.js';
import { TenantRouter } from '../tenancy/placement/tenant-router.js';
import { TenancyCheckError } from '../tenancy/startup-check.js';
import { prepareDatabase } from './bootstrap.js';
import { EmbeddedPlacements } from './embedded-placements.js';
import { connectOrm, type Orm } from './orm.js';
import { claimPlacementIdentity, schemaVersionProblems } from './placement-database.js';
import { servingConnection } from './serving-connection.js';

/** What serves requests: the shared database's serving ORM and the router over every placement. */
export interface Deployment {
  /** The shared placement's serving ORM (row-level-security role): users, directory, membership index. */
  shared: Orm;
  router: TenantRouter;
  /** Closes every placement's pool, the shared one last. */
  close(): Promise<void>;
}

export interface DeploymentOptions {
  config: AppConfig;
  logger: Logger;
  /** The shared placement's URL (DATABASE_URL, CUSTOMER_DATABASE_URL or the embedded server's); needed with `embedded`. */
  sharedUrl?: string;
  /** True on the embedded default: demo data may be seeded and `placements create` placements are served. */
  embedded: boolean;
}

/**
 * Opens a deployment: migrates and prepares the shared database as its owner (bootstrap.ts),
 * names it `shared`, opens its serving pool, then brings every dedicated placement to the same
 * schema and checks it (PlacementPools; one that is down or refused is logged and affects only
 * its organizations). Throws TenancyCheckError when the shared database is wrong (another
 * placement's database, or a schema newer than this code), ConfigError when DEFAULT_PLACEMENT
 * names no placement.
 */
export async function openDeployment({ config, logger, sharedUrl, embedded }: DeploymentOptions & { sharedUrl: string }): Promise<Deployment> {
  const owner = await connectOrm({ clientUrl: sharedUrl, mode: config.mode, poolMax: 2 });
  try {
    await prepareDatabase(owner, config, logger, { embedded });
    const problems = [...(await claimPlacementIdentity(owner, SHARED_PLACEMENT)), ...(await schemaVersionProblems(owner, SHARED_PLACEMENT))];
    if (problems.length > 0) throw new TenancyCheckError(problems);
  } finally {
    await owner.close();
  }
  // Requests run as the row-level-security role: its own login, or SET ROLE (serving-connection.ts).
  const shared = await connectOrm({ ...servingConnection(config.database, sharedUrl), mode: config.mode, poolMax: config.database.poolMax, logger });
  try {
    return await servePlacements(shared, { config, logger, sharedUrl, embedded });
  } catch (err) {
    await shared.close();
    throw err;
  }
}

/**
 * The router over `shared` (an open serving ORM, already prepared) and the dedicated placements:
 * PLACEMENT_<NAME>_URL, and on the embedded default those of the `placement` table. Each dedicated
 * placement is migrated and checked now, so that a wrong one is named at start.
 */
export async function servePlacements(shared: Orm, { config, logger, sharedUrl, embedded }: DeploymentOptions): Promise<Deployment> {
  const created = embedded && sharedUrl ? new EmbeddedPlacements(shared, sharedUrl) : undefined;
  await created?.refresh();
  const shadowed = Object.keys(created?.urls() ?? {}).filter((name) => name in config.placements.urls);
  if (shadowed.length > 0) logger.warn({ placements: shadowed }, 'PLACEMENT_<NAME>_URL overrides the placement of the same name created on the embedded server');
  const pools = new PlacementPools(shared, {
    mode: config.mode,
    database: config.database,
    poolMax: config.database.poolMax,
    totalPoolMax: config.placements.totalPoolMax,
    idleMs: config.placements.poolIdleMs,
    strictRole: config.isProduction,
    logger,
    urls: () => ({ ...created?.urls(), ...config.placements.urls }),
    refresh: created ? () => created.refresh() : undefined,
  });
  if (!pools.names().includes(config.placements.defaultPlacement)) {
    await pools.close();
    throw new ConfigError([`DEFAULT_PLACEMENT=${config.placements.defaultPlacement} names no placement: use shared or one of PLACEMENT_<NAME>_URL${embedded ? ' (or create it: npm run tenant -- placements create <name>)' : ''}.`]);
  }
  // Migrated and checked at start; a placement that fails is logged by the pools and retried on use.
  await pools.openAll();
  const router = new TenantRouter(new PlacementDirectory(shared, config.placements.cacheTtlMs), pools);
  return { shared, router, close: async () => (await pools.close(), await shared.close()) };
}
