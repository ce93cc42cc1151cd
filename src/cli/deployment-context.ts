import { existsSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { loadConfig, type AppConfig } from '../config/index.js';
import { runningEmbeddedUrl } from '../db/embedded.js';
import { EmbeddedPlacements, withDatabase } from '../db/embedded-placements.js';
import { connectOrm, type Orm } from '../db/orm.js';
import { servingConnection } from '../db/serving-connection.js';
import { listedPlacements, readAsOwner } from '../tenancy/placement/placement-census.js';
import { SHARED_PLACEMENT } from '../tenancy/placement/placement-name.js';
import { PlacementPools } from '../tenancy/placement/placement-pools.js';

/** Where a placement comes from: the shared database, a PLACEMENT_<NAME>_URL, or `placements create` on the embedded server. */
export type PlacementSource = 'shared' | 'configured' | 'embedded';

/** A placement this deployment has, with the URL its owner connects with (never printed: it may hold a password). */
export interface KnownPlacement {
  name: string;
  source: PlacementSource;
  url: string;
  /**
   * A configured placement only: the database of the embedded placement of the same name that
   * its PLACEMENT_<NAME>_URL hides (the server serves the configured URL; that database's
   * organizations are not served from it).
   */
  shadows?: string;
}

/** The deployment as the command line sees it: the server's configuration and its shared database. */
export interface DeploymentContext {
  config: AppConfig;
  /** The shared placement's URL: DATABASE_URL (CUSTOMER_DATABASE_URL in single-tenant mode) or the running embedded server's. */
  sharedUrl: string;
  /** True on the embedded default (no database URL configured). */
  embedded: boolean;
  /** The command line speaks through stdout and stderr; library log lines would only add noise. */
  logger: Logger;
}

/**
 * The server's configuration, read exactly as src/main.ts reads it: `./.env` (variables already
 * in the environment win), then loadConfig(). Throws ConfigError listing every problem.
 */
export function loadServerConfig(): AppConfig {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return loadConfig();
}

/**
 * The configuration and the shared database, found as the MikroORM CLI finds it
 * (src/mikro-orm.config.ts): the configured URL, else the embedded server `npm start` runs,
 * which must be running (nothing is started here; EmbeddedDatabaseError says so).
 */
export async function deploymentContext(config = loadServerConfig()): Promise<DeploymentContext> {
  const configured = config.database.url;
  const sharedUrl = configured ?? (await runningEmbeddedUrl(config.database.dataDir, config.database.embeddedPort));
  return { config, sharedUrl, embedded: configured === undefined, logger: pino({ level: 'silent' }) };
}

/**
 * Every placement, `shared` first, then the dedicated ones by name: PLACEMENT_<NAME>_URL and, on
 * the embedded default, those listed in the shared database's `placement` table (a configured
 * URL wins over a listed one of the same name, as in servePlacements, and says so in `shadows`).
 * Reads the shared database only on the embedded default.
 */
export async function knownPlacements(ctx: DeploymentContext): Promise<KnownPlacement[]> {
  const listed = ctx.embedded ? await readAsOwner(ctx.sharedUrl, listedPlacements) : {};
  const dedicated = new Map<string, KnownPlacement>();
  for (const [name, database] of Object.entries(listed)) dedicated.set(name, { name, source: 'embedded', url: withDatabase(ctx.sharedUrl, database) });
  for (const [name, url] of Object.entries(ctx.config.placements.urls)) {
    const hidden = listed[name];
    dedicated.set(name, { name, source: 'configured', url, ...(hidden !== undefined ? { shadows: hidden } : {}) });
  }
  const sorted = [...dedicated.values()].sort((a, b) => a.name.localeCompare(b.name));
  return [{ name: SHARED_PLACEMENT, source: 'shared', url: ctx.sharedUrl }, ...sorted];
}

/**
 * The shared database's serving ORM and a PlacementPools over every placement, as the server
 * builds them (servePlacements) but without opening any dedicated placement up front: only the
 * one a command uses is migrated, checked and connected. `close` closes them all.
 */
export async function openPlacementPools(ctx: DeploymentContext): Promise<{ shared: Orm; pools: PlacementPools; close(): Promise<void> }> {
  const { config, sharedUrl, embedded, logger } = ctx;
  // As the server connects: its own serving login, or SET ROLE (src/db/serving-connection.ts).
  const shared = await connectOrm({ ...servingConnection(config.database, sharedUrl), mode: config.mode, poolMax: 2 });
  try {
    const created = embedded ? new EmbeddedPlacements(shared, sharedUrl) : undefined;
    await created?.refresh();
    const pools = new PlacementPools(shared, {
      mode: config.mode,
      database: config.database,
      // A command works on the shared placement and at most one dedicated one at a time.
      poolMax: 2,
      totalPoolMax: 4,
      idleMs: config.placements.poolIdleMs,
      strictRole: config.isProduction,
      logger,
      urls: () => ({ ...created?.urls(), ...config.placements.urls }),
      refresh: created ? () => created.refresh() : undefined,
    });
    return { shared, pools, close: async () => (await pools.close(), await shared.close()) };
  } catch (err) {
    await shared.close();
    throw err;
  }
}
