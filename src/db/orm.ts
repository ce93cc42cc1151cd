import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import type { DeploymentMode } from '../config/index.js';
import { TenantEntityManager } from '../tenancy/tenant-entity-manager.js';
import { TenantFlushGuard } from '../tenancy/tenant-flush-guard.js';
import { tenantFilter, viewerFilter } from '../tenancy/tenant-filter.js';
import { entities } from './entities/index.js';
import { migrationsList } from './migrations/index.js';

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
}

export function ormOptions({ clientUrl, mode, poolMax = 10, debug = false, role }: OrmSettings): Options {
  return defineConfig({
    clientUrl,
    entities,
    entityManager: TenantEntityManager,
    filters: { tenant: tenantFilter(mode), viewer: viewerFilter },
    subscribers: [new TenantFlushGuard()],
    extensions: [Migrator],
    // Each request gets its own fork; using the global EntityManager is a bug.
    allowGlobalContext: false,
    // Validate every query's where: `{ organizationId: undefined }` must never become IS NULL.
    ignoreUndefinedInQuery: false,
    forceUtcTimezone: true,
    pool: {
      min: 0,
      max: poolMax,
      idleTimeoutMillis: 10_000,
      ...(role ? { afterCreate: (conn: PgConnection, done: (err: Error | null, conn: PgConnection) => void) => conn.query(`set role "${role}"`, (err) => done(err, conn)) } : {}),
    },
    migrations: { silent: true, migrationsList, tableName: 'mikro_orm_migrations', transactional: true, allOrNothing: true },
    debug,
  });
}

type PgConnection = { query(sql: string, cb: (err: Error | null) => void): void };

export type Orm = MikroORM;

export async function connectOrm(settings: OrmSettings): Promise<Orm> {
  return MikroORM.init(ormOptions(settings));
}
