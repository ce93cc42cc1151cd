import { resolve } from 'node:path';
import { migratePlacement } from '../db/placement-database.js';
import { storageProvider } from '../storage/index.js';
import { importOrganization, type ImportResult } from '../tenancy/mobility/import-organization.js';
import { SHARED_PLACEMENT } from '../tenancy/placement/placement-name.js';
import { CliError } from './cli-error.js';
import type { CommandOutput } from './command.js';
import { deploymentContext } from './deployment-context.js';
import { placementUrl } from './organization-lookup.js';
import { renderTable } from './table.js';

/**
 * `import <file> --to <placement>`: an organization archive into this deployment
 * (src/tenancy/mobility/import-organization.ts), after bringing the shared database and the
 * placement to this code's schema as the server would (migratePlacement). In single-tenant mode
 * the placement is `shared` (the customer's database), which must hold no organization yet, and
 * DEFAULT_ORGANIZATION_ID must be the archive's organization.
 */
export async function importCommand(args: { file: string; to: string }): Promise<CommandOutput<ImportResult>> {
  const ctx = await deploymentContext();
  const { config } = ctx;
  if (config.mode === 'single_tenant' && args.to !== SHARED_PLACEMENT) throw new CliError('A single-tenant deployment has one placement: import with --to shared.');
  const url = await placementUrl(ctx, args.to);
  for (const [name, placementUrlToMigrate] of new Map([[SHARED_PLACEMENT, ctx.sharedUrl], [args.to, url]])) {
    const problems = await migratePlacement(placementUrlToMigrate, name, config.mode, ctx.logger);
    if (problems.length > 0) throw new CliError(`Placement ${name} is not ready: ${problems.join(' ')}`);
  }
  const result = await importOrganization(resolve(args.file), {
    placement: args.to,
    url,
    sharedUrl: ctx.sharedUrl,
    mode: config.mode,
    defaultOrganizationId: config.defaultOrganizationId,
    storage: await storageProvider(config.storage),
  });
  return { data: result, text: () => render(result) };
}

function render(result: ImportResult): string {
  const rows = result.verification.entries.map((e) => [e.name, e.b?.rows ?? '-', e.b?.hash ?? '-', e.match ? 'yes' : 'NO']);
  const { matched, created, withoutPassword } = result.users;
  const users =
    `Users: ${matched} matched to an existing account by email, ${created} created` +
    (withoutPassword > 0 ? `, ${withoutPassword} of them without a password (the archive carried no hashes): they cannot sign in with a password until one is set.` : '.');
  return `${renderTable(['table', 'rows', 'hash', 'verified'], rows)}\n\n${result.organization.slug} (${result.organization.id}) imported onto ${result.placement}. ${users}`;
}
