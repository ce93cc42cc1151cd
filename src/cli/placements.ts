import type { AppConfig } from '../config/index.js';
import type { OrganizationState } from '../db/entities/organization.js';
import { connectOrm } from '../db/orm.js';
import { migrationProblems, servingProblems } from '../db/placement-database.js';
import { SERVING_ROLE } from '../db/serving-role.js';
import {
  appliedMigrations,
  countByState,
  organizationsPlacedOn,
  placementIdentity,
  readAsOwner,
  rowCountsByOrganization,
  sumRowCounts,
  tenantTables,
  type TableRowCounts,
} from '../tenancy/placement/placement-census.js';
import { withoutSecrets } from './cli-error.js';
import { deploymentContext, knownPlacements, type KnownPlacement, type PlacementSource } from './deployment-context.js';
import { renderTable } from './table.js';
import type { CommandOutput } from './command.js';

/** One placement as `npm run tenant -- placements` reports it (the `--json` shape). */
export interface PlacementReport {
  name: string;
  source: PlacementSource;
  reachable: boolean;
  /** Why it is unreachable (the driver's code and message, without the URL). */
  error?: string;
  /** The name its database claims (placement_identity); null before its first use. */
  identity: string | null;
  schema: {
    /** The latest migration applied (null: none). */
    latest: string | null;
    /** Every migration of this code applied, no unknown one, and no other placement's identity. */
    current: boolean;
    problems: string[];
  };
  /** The start-up checks: row-level security of every tenant table, and the serving role. */
  rls: { ok: boolean; problems: string[]; warnings: string[] };
  /** Organizations placed here, by state. */
  organizations: Record<OrganizationState, number>;
  /** Rows of those organizations per tenant table. */
  rows: TableRowCounts;
}

/**
 * `placements`: each placement (shared, configured, created on the embedded server), whether it
 * answers, its schema version against this code's migrations, its row-level security as the
 * server's start-up checks see it, and its organizations and rows. Everything is read as the
 * database's owner in read-only transactions, except the start-up checks, which read only the
 * catalogs and run on a serving connection because what they check is that role. A placement
 * that does not answer is reported, not an error (exit 0).
 */
export async function placementsCommand(): Promise<CommandOutput<{ placements: PlacementReport[] }>> {
  const ctx = await deploymentContext();
  const placements = await Promise.all((await knownPlacements(ctx)).map((p) => inspect(p, ctx.config)));
  return { data: { placements }, text: () => render(placements) };
}

async function inspect(placement: KnownPlacement, config: AppConfig): Promise<PlacementReport> {
  const { name, source, url } = placement;
  const empty = { identity: null, schema: { latest: null, current: false, problems: [] }, rls: { ok: false, problems: [], warnings: [] } };
  let census;
  try {
    census = await readAsOwner(url, async (client) => {
      const migrations = await appliedMigrations(client);
      const identity = await placementIdentity(client);
      const organizations = migrations.length > 0 ? await organizationsPlacedOn(client, name) : [];
      const counts = await rowCountsByOrganization(client, organizations.map((o) => o.id));
      return { migrations, identity, organizations, rows: sumRowCounts(counts.values()) };
    });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return {
      name, source, reachable: false, error: withoutSecrets([e.code, e.message].filter(Boolean).join(': ')), ...empty,
      organizations: countByState([]), rows: sumRowCounts([]),
    };
  }
  const problems = migrationProblems(name, census.migrations);
  // No identity yet is fine (claimed on first use); another name means a misconfigured URL.
  if (census.identity !== null && census.identity !== name) problems.push(`placement ${name}: its database is placement ${census.identity}.`);
  return {
    name,
    source,
    reachable: true,
    identity: census.identity,
    schema: { latest: census.migrations.at(-1)?.replace(/\.(ts|js)$/, '') ?? null, current: problems.length === 0, problems },
    rls: await startUpChecks(url, name, config),
    organizations: countByState(census.organizations),
    rows: census.rows,
  };
}

/** servingProblems (the checks a placement must pass before it serves), on one serving connection. */
async function startUpChecks(url: string, name: string, config: AppConfig): Promise<PlacementReport['rls']> {
  let serving;
  try {
    serving = await connectOrm({ clientUrl: url, mode: config.mode, poolMax: 1, role: SERVING_ROLE });
    const { problems, warnings } = await servingProblems(serving, name, { strictRole: config.isProduction });
    return { ok: problems.length === 0, problems, warnings };
  } catch (err) {
    return { ok: false, problems: [`placement ${name}: the start-up checks could not run: ${withoutSecrets((err as Error).message ?? String(err))}`], warnings: [] };
  } finally {
    await serving?.close().catch(() => undefined);
  }
}

function render(placements: PlacementReport[]): string {
  const tables = tenantTables();
  const header = ['placement', 'source', 'reachable', 'schema', 'latest migration', 'rls', 'organizations', ...tables];
  const rows = placements.map((p) => [
    p.name,
    p.source,
    p.reachable ? 'yes' : 'NO',
    !p.reachable ? '-' : p.schema.current ? 'ok' : 'DIFFERS',
    p.schema.latest ?? '-',
    !p.reachable ? '-' : p.rls.ok ? (p.rls.warnings.length > 0 ? 'ok (warnings)' : 'ok') : 'PROBLEMS',
    Object.entries(p.organizations).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ') || '0',
    ...tables.map((t) => p.rows[t] ?? 0),
  ]);
  const notes = placements.flatMap((p) => [
    ...(p.error ? [`${p.name}: unreachable: ${p.error}`] : []),
    ...p.schema.problems,
    ...p.rls.problems,
    ...p.rls.warnings.map((w) => `${w} (warning)`),
  ]);
  return [renderTable(header, rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
