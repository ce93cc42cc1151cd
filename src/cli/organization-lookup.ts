import { findDirectoryEntry } from '../tenancy/mobility/find-organization.js';
import { withOwner } from '../tenancy/mobility/owner-connection.js';
import type { DirectoryEntry } from '../tenancy/placement/placement-census.js';
import { CliError } from './cli-error.js';
import { knownPlacements, type DeploymentContext } from './deployment-context.js';

/** The organization named on the command line (id or slug), from the directory; CliError when there is none. */
export async function organizationNamed(ctx: DeploymentContext, idOrSlug: string): Promise<DirectoryEntry> {
  const entry = await withOwner(ctx.sharedUrl, (client) => findDirectoryEntry(client, idOrSlug));
  if (!entry) throw new CliError(`No organization has the id or slug ${idOrSlug}: \`npm run tenant -- list\` shows them.`);
  return entry;
}

/** A placement's owner URL; CliError naming the known placements when this deployment has no such placement. */
export async function placementUrl(ctx: DeploymentContext, name: string): Promise<string> {
  const placements = await knownPlacements(ctx);
  const found = placements.find((p) => p.name === name);
  if (!found) throw new CliError(`There is no placement "${name}": the placements are ${placements.map((p) => p.name).join(', ')}.`);
  return found.url;
}
