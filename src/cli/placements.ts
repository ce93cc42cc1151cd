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

/**
 * One placement as `npm run tenant -- placements` reports it (the `--json` shape). What could not
 * be read because the placement does not answer is null (unknown), never a zero or a failed check.
 */
export interface PlacementReport {
  name: string;
  source: PlacementSource;
  /**
   * A configured placement only: the embedded server's database (`tenantql_<name>`) of a placement
   * `placements create` made under the same name, which PLACEMENT_<NAME>_URL hides: the server
   * serves the configured URL, so that database's organizations are not served.
   */
  shadows?: string;
  reachable: boolean;
  /** Why it is unreachable (the driver's code and message, without the URL). */
  error?: string;
  /** The name its database claims (placement_identity); null before its first use, or unreachable. */
  identity: string | null;
  /** Null when unreachable. */
  schema: {
    /** The latest migration applied (null: none). */
    latest: string | null;
    /** Every migration of this code applied, no unknown one, and no other placement's identity. */
    current: boolean;
    problems: string[];
  } | null;
  /** The start-up checks: row-level security of every tenant table, and the serving role. Null when unreachable. */
  rls: { ok: boolean; problems: string[]; warnings: string[] } | null;
  /** Organizations placed here, by state. Null when unreachable. */
  organizations: Record<OrganizationState, number> | null;
  /** Rows of those organizations per tenant table. Null when unreachable. */
  rows: TableRowCounts | null;
}

/**
 * `placements`: each placement (shared, configured, created on the embedded server), whether it
 * answers, its schema version against this code's migrations, its row-level security as the
 * server's start-up checks see it, and its organizations and rows. Everything is read as the
 * database's owner in read-only transactions, except the start-up checks, which read only the
 * catalogs and run on a serving connection because what they check is that role. A placement
 * that does not answer is reported, its unknowns null, and is not an error (exit 0). A configured
 * placement that hides an embedded one of the same name is reported with `shadows`.
 */
export async function placementsCommand(): Promise<CommandOutput<{ placements: PlacementReport[] }>> {
  const ctx = await deploymentContext();
  const placements = await Promise.all((await knownPlacements(ctx)).map((p) => inspect(p, ctx.config)));
  return { data: { placements }, text: () => render(placements) };
}

async function inspect(placement: KnownPlacement, config: AppConfig): Promise<PlacementReport> {
  const { name, source, url } = placement;
  const identification = { name, source, ...(placement.shadows !== undefined ? { shadows: placement.shadows } : {}) };
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
    const error = withoutSecrets([e.code, e.message].filter(Boolean).join(': '));
    return { ...identification, reachable: false, error, identity: null, schema: null, rls: null, organizations: null, rows: null };
  }
  const problems = migrationProblems(name, census.migrations);
  // No identity yet is fine (claimed on first use); another name means a misconfigured URL.
  if (census.identity !== null && census.identity !== name) problems.push(`placement ${name}: its database is placement ${census.identity}.`);
  return {
    ...identification,
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
  // null renders as `?` (renderTable): unknown, because the placement did not answer.
  const rows = placements.map((p) => [
    p.name,
    p.shadows !== undefined ? `${p.source} (shadows embedded)` : p.source,
    p.reachable ? 'yes' : 'NO',
    p.schema && (p.schema.current ? 'ok' : 'DIFFERS'),
    p.schema && (p.schema.latest ?? '-'),
    p.rls && (p.rls.ok ? (p.rls.warnings.length > 0 ? 'ok (warnings)' : 'ok') : 'PROBLEMS'),
    p.organizations && (Object.entries(p.organizations).filter(([, n]) => n > 0).map(([state, n]) => `${n} ${state}`).join(', ') || '0'),
    ...tables.map((t) => (p.rows ? (p.rows[t] ?? 0) : null)),
  ]);
  const notes = placements.flatMap((p) => [
    ...(p.shadows !== undefined
      ? [`${p.name}: PLACEMENT_${p.name.toUpperCase()}_URL shadows the embedded placement ${p.name} (database ${p.shadows}): the configured URL is served, and the organizations in ${p.shadows} are not (warning)`]
      : []),
    ...(p.error ? [`${p.name}: unreachable: ${p.error}`] : []),
    ...(p.schema?.problems ?? []),
    ...(p.rls?.problems ?? []),
    ...(p.rls?.warnings ?? []).map((w) => `${w} (warning)`),
  ]);
  return [renderTable(header, rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}
