import type { Logger } from 'pino';
import type { AppConfig } from '../config/index.js';
import { forkForSystem } from '../tenancy/tenant-entity-manager.js';
import { Organization } from './entities/index.js';
import type { Orm } from './orm.js';
import { DemoDataSeeder } from './seeders/demo-data.js';

export class SingleTenantDatabaseError extends Error {
  override name = 'SingleTenantDatabaseError';
}

/** Migrates, then makes the database fit the deployment mode, then seeds demo data if asked. */
export async function prepareDatabase(orm: Orm, config: AppConfig, logger: Logger, { embedded }: { embedded: boolean }): Promise<void> {
  const applied = await orm.getMigrator().up();
  if (applied.length > 0) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');

  const em = forkForSystem(orm.em, 'start-up: checks and creates organizations');
  const organizations = await em.count(Organization, {});
  if (config.mode === 'single_tenant') await ensureSingleOrganization(orm, config, logger);

  const seed = config.seedDemoData === 'true' || (config.seedDemoData === 'auto' && embedded);
  if (seed && organizations === 0) {
    await new DemoDataSeeder().run(orm.em, config);
    logger.info('demo data seeded (see README: "Try it")');
  }
}

/**
 * Single-tenant mode switches the tenant filter off, which is only safe when the database
 * holds one organization: refuse to start otherwise, naming what was found.
 */
async function ensureSingleOrganization(orm: Orm, config: AppConfig, logger: Logger): Promise<void> {
  const id = config.defaultOrganizationId!;
  const em = forkForSystem(orm.em, 'start-up: single-tenant database check');
  const found = await em.find(Organization, {}, { fields: ['id'], limit: 3 });
  const others = found.filter((o: { id: string }) => o.id !== id);
  if (others.length > 0) {
    throw new SingleTenantDatabaseError(
      `single_tenant mode needs a database with one organization (${id}), but it holds ` +
        `${others.length + (found.length - others.length)}+ organizations including ${others.map((o: { id: string }) => o.id).join(', ')}. ` +
        'Point CUSTOMER_DATABASE_URL at this customer\'s own database, or use multi_tenant mode.',
    );
  }
  if (found.length === 0) {
    em.create(Organization, { id, name: config.defaultOrganizationName, slug: 'default' });
    await em.flush();
    logger.info({ organizationId: id }, 'created the default organization');
  }
}
