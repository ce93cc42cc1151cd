import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM, type Options } from '@mikro-orm/postgresql';
import type { DeploymentMode } from '../config/index.js';
import { TenantEntityManager } from '../tenancy/tenant-entity-manager.js';
import { TenantFlushGuard } from '../tenancy/tenant-flush-guard.js';
import { tenantFilter } from '../tenancy/tenant-filter.js';
import { entities } from './entities/index.js';
import { migrationsList } from './migrations/index.js';

export interface OrmSettings {
  clientUrl: string;
  mode: DeploymentMode;
  poolMax?: number;
  debug?: boolean;
}

export function ormOptions({ clientUrl, mode, poolMax = 10, debug = false }: OrmSettings): Options {
  return defineConfig({
    clientUrl,
    entities,
    entityManager: TenantEntityManager,
    filters: { tenant: tenantFilter(mode) },
    subscribers: [new TenantFlushGuard()],
    extensions: [Migrator],
    // Each request gets its own fork; using the global EntityManager is a bug.
    allowGlobalContext: false,
    // Validate every query's where: `{ organizationId: undefined }` must never become IS NULL.
    ignoreUndefinedInQuery: false,
    forceUtcTimezone: true,
    pool: { min: 0, max: poolMax, idleTimeoutMillis: 10_000 },
    migrations: { silent: true, migrationsList, tableName: 'mikro_orm_migrations', transactional: true, allOrNothing: true },
    debug,
  });
}

export type Orm = MikroORM;

export async function connectOrm(settings: OrmSettings): Promise<Orm> {
  return MikroORM.init(ormOptions(settings));
}
