import { migratePlacement } from '../db/placement-database.js';
import { createOrganizationOnPlacement, type CreatedOrganization } from '../tenancy/placement/create-organization.js';
import { SHARED_PLACEMENT } from '../tenancy/placement/placement-name.js';
import { CliError } from './cli-error.js';
import type { CommandOutput } from './command.js';
import { deploymentContext, openPlacementPools } from './deployment-context.js';
import { renderTable } from './table.js';

/** `create`'s arguments: the organization's name and the options. */
export interface CreateArguments {
  name: string;
  owner: string;
  placement: string;
  tier?: string;
}

/**
 * `create <name> --owner <email> --placement <name> [--tier <tier>]`: provisions an organization
 * directly on a placement (createOrganizationOnPlacement: directory row and owner membership in
 * the shared database, the placement's own rows there, the shared transaction committing last).
 * The shared database is first brought to this code's schema as the server does at start
 * (migratePlacement), the placement when its pool opens. Multi-tenant only.
 */
export async function createCommand(args: CreateArguments): Promise<CommandOutput<CreatedOrganization>> {
  const ctx = await deploymentContext();
  if (ctx.config.mode !== 'multi_tenant') {
    throw new CliError('A single-tenant instance has exactly one organization (DEFAULT_ORGANIZATION_ID): `create` needs DEPLOYMENT_MODE=multi_tenant.');
  }
  const problems = await migratePlacement(ctx.sharedUrl, SHARED_PLACEMENT, ctx.config.mode, ctx.logger);
  if (problems.length > 0) throw new CliError(`The shared database is not ready: ${problems.join(' ')}`);
  const deployment = await openPlacementPools(ctx);
  let created: CreatedOrganization;
  try {
    created = await createOrganizationOnPlacement(deployment.shared, deployment.pools, {
      name: args.name,
      ownerEmail: args.owner,
      placement: args.placement,
      tier: args.tier,
    });
  } finally {
    await deployment.close();
  }
  return {
    data: created,
    text: () => renderTable(['id', 'slug', 'name', 'placement', 'tier', 'owner'], [[created.id, created.slug, created.name, created.placement, created.tier, created.ownerId]]),
  };
}
