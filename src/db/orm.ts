import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import { SeedManager } from '@mikro-orm/seeder';
import type { Logger } from 'pino';
import type { DeploymentMode } from '../config/index.js';
import { TenantEntityManager } from '../tenancy/tenant-entity-manager.js';
import { TenantFlushGuard } from '../tenancy/tenant-flush-guard.js';
import { tenantFilter, viewerFilter } from '../tenancy/tenant-filter.js';
import { afterCreateFor } from './connection-setup.js';
import { entities } from './entities/index.js';
import { HandWrittenMigrationGenerator, HandWrittenSchemaGenerator } from './hand-written-schema.js';

/**
 * The migrations and seeders sit beside this module: `src/db/` when the sources run (tsx, vitest,
 * the MikroORM CLI through mikro-orm.config.js), `dist/db/` in the compiled build. Each kind is
 * found by file name, in name order (umzug sorts), so a file `migration:create` writes runs
 * without being listed anywhere: `Migration<yyyyMMddHHmmss>_<name>.ts`, and `dist/` holds the
 * same names as `.js` (tsc also writes `.js.map` files, which the pattern leaves out).
 */
const HERE = fileURLToPath(new URL('.', import.meta.url));
/** `.ts` when the sources run, `.js` in `dist/`. */
const MODULE_EXTENSION = extname(fileURLToPath(import.meta.url));
/** Absolute path of the migrations directory (src/db/migrations or dist/db/migrations). */
export const MIGRATIONS_DIR = `${HERE}migrations`;
/** Absolute path of the seeders directory (src/db/seeders or dist/db/seeders). */
export const SEEDERS_DIR = `${HERE}seeders`;
/** The migrations' file pattern in MIGRATIONS_DIR (fast-glob syntax, as umzug reads it). */
export const MIGRATION_FILES = `Migration[0-9]*${MODULE_EXTENSION}`;

export interface OrmSettings {
  clientUrl: string;
  mode: DeploymentMode;
  poolMax?: number;
  debug?: boolean;
  /**
   * Serving connections switch to this role as soon as they open (`SET ROLE`), so everything
   * they run is subject to row-level security. Unset for the owner connection (migrations).
   */
  role?: string;
  /**
   * MikroORM finds the transaction an EntityManager call joins through AsyncLocalStorage, by this
   * name (TransactionContext.getEntityManager): two ORMs with the same name (the default) would
   * join each other's transactions when one runs inside the other's. Each placement's ORM has its
   * own (src/tenancy/placement/placement-pools.ts).
   */
  contextName?: string;
  /** Strip names from fixed statements (DB_POOL_MODE=transaction; src/db/connection-setup.ts). */
  unnamedStatements?: boolean;
  /**
   * The connections' application_name (pg_stat_activity shows it; PostgreSQL keeps 63 bytes):
   * unless given, pg's default (the PGAPPNAME environment variable, else none). Each placement's
   * pool names itself, so an operator can tell them apart.
   */
  applicationName?: string;
  /**
   * Where knex's own warnings go (a connection dropped by the server, say): knex prints them on
   * the console unless given a `log` (knex docs, "log" option). The server passes its pino logger.
   */
  logger?: Pick<Logger, 'warn' | 'error' | 'debug'>;
}

/**
 * The ORM's options, shared by the server (owner and serving connections), the tests and the
 * MikroORM CLI (src/mikro-orm.config.ts): entities, the tenant filters and guards, the migrations
 * and the demo-data seeder beside this module. `poolMax` in connections (default 10).
 */
export function ormOptions({ clientUrl, mode, poolMax = 10, debug = false, role, unnamedStatements, contextName, applicationName, logger }: OrmSettings): Options {
  const afterCreate = afterCreateFor({ role, unnamedStatements });
  return defineConfig({
    clientUrl,
    ...(contextName ? { contextName } : {}),
    entities,
    entityManager: TenantEntityManager,
    filters: { tenant: tenantFilter(mode), viewer: viewerFilter },
    subscribers: [new TenantFlushGuard()],
    extensions: [Migrator, SeedManager, HandWrittenSchemaGenerator],
    // MikroORM imports migration and seeder files with this. Written here, the import is this
    // module's own, so under vitest it goes through vitest's loader, which reads `.ts`; MikroORM's
    // own `import()` in node_modules gets Node's, which cannot ("Unknown file extension .ts").
    // Under tsx (npm start, the CLI) both work, and in dist/ the files are `.js`.
    dynamicImportProvider: (id: string) => import(id),
    // Each request gets its own fork; using the global EntityManager is a bug.
    allowGlobalContext: false,
    // Validate every query's where: `{ organizationId: undefined }` must never become IS NULL.
    ignoreUndefinedInQuery: false,
    forceUtcTimezone: true,
    // Merged into knex's connection options, which `pg` sends at connection start.
    driverOptions: {
      ...(applicationName ? { connection: { application_name: applicationName } } : {}),
      ...(logger ? { log: knexLog(logger, applicationName ?? 'tenantql') } : {}),
    },
    pool: {
      min: 0,
      max: poolMax,
      idleTimeoutMillis: 10_000,
      ...(afterCreate ? { afterCreate } : {}),
    },
    migrations: {
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_DIR,
      glob: MIGRATION_FILES,
      emit: 'ts',
      generator: HandWrittenMigrationGenerator,
      silent: true,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      // The schema is written by hand (src/db/hand-written-schema.ts): a snapshot of it, which
      // MikroORM writes beside the migrations (into src/) whenever it applies some, serves nothing.
      snapshot: false,
    },
    seeder: { path: SEEDERS_DIR, pathTs: SEEDERS_DIR, glob: `*${MODULE_EXTENSION}`, defaultSeeder: 'DemoDataSeeder', emit: 'ts' },
    debug,
  });
}

/** knex's `log` option, writing to `logger` with the pool's name (knex calls each with one message string). */
function knexLog(logger: NonNullable<OrmSettings['logger']>, pool: string) {
  return {
    warn: (message: string) => logger.warn({ pool }, String(message)),
    error: (message: string) => logger.error({ pool }, String(message)),
    deprecate: (method: string, alternative: string) => logger.warn({ pool }, `knex: ${method} is deprecated, use ${alternative}`),
    debug: (message: unknown) => logger.debug({ pool, message }, 'knex'),
  };
}

export type Orm = MikroORM;

export async function connectOrm(settings: OrmSettings): Promise<Orm> {
  return MikroORM.init(ormOptions(settings));
}
