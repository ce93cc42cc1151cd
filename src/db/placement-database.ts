import { readdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { DeploymentMode } from '../config/index.js';
import { SHARED_PLACEMENT } from '../tenancy/placement/placement-name.js';
import { connectOrm, MIGRATIONS_DIR, type Orm } from './orm.js';
import { servingRoleProblems } from './serving-role.js';
import { tenantTableProblems } from './tenant-table-check.js';

/** The migrations this code carries, by name (`Migration<timestamp>_<name>`, as MikroORM records them). */
export function knownMigrations(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^Migration\d+.*\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => file.replace(/\.(ts|js)$/, ''))
    .sort();
}

/**
 * Which placement the database is: writes `name` into `placement_identity` when it has none yet,
 * then reads it back. Returns one sentence per problem (empty: it is `name`): the database names
 * another placement, or it has no name yet but holds organizations of the shared placement (a
 * dedicated PLACEMENT_<NAME>_URL pointing at the shared database). Runs as the owner.
 */
export async function claimPlacementIdentity(owner: Orm, name: string): Promise<string[]> {
  const connection = owner.em.getConnection();
  if (name !== SHARED_PLACEMENT) {
    const [row] = await connection.execute<{ unnamed: boolean; shared: number }[]>(
      `select not exists (select from "placement_identity") as unnamed,
              (select count(*)::int from "organization" where "placement" = 'shared') as shared`,
    );
    if (row?.unnamed && row.shared > 0) {
      return [`placement ${name}: its database holds ${row.shared} organization(s) of the shared placement; is it the shared database? Point PLACEMENT_${name.toUpperCase()}_URL at a database of its own.`];
    }
  }
  await connection.execute(`insert into "placement_identity" ("name") values (?) on conflict ("only_row") do nothing`, [name]);
  const [row] = await connection.execute<{ name: string }[]>(`select "name" from "placement_identity"`);
  if (row?.name !== name) return [`placement ${name}: its database is placement ${row?.name ?? '(none)'}; each placement needs a database of its own.`];
  return [];
}

/**
 * Schema version: every migration this code carries is applied, and none that it does not (a
 * database migrated by newer code). Returns one sentence per problem, naming the placement.
 */
export async function schemaVersionProblems(owner: Orm, name: string): Promise<string[]> {
  const executed = (await owner.getMigrator().getExecutedMigrations()).map((m) => m.name);
  return migrationProblems(name, executed);
}

/**
 * The check of schemaVersionProblems on a list of applied migration names (as
 * `mikro_orm_migrations.name` holds them, with or without `.ts`/`.js`), for readers that must
 * not write: the Migrator creates its table when it is missing. One sentence per problem.
 */
export function migrationProblems(name: string, executedNames: string[]): string[] {
  const known = new Set(knownMigrations());
  const executed = executedNames.map((m) => m.replace(/\.(ts|js)$/, ''));
  const unknown = executed.filter((m) => !known.has(m));
  const missing = [...known].filter((m) => !executed.includes(m));
  const problems: string[] = [];
  if (unknown.length > 0) problems.push(`placement ${name}: its schema has migrations this server does not know (${unknown.join(', ')}): it was migrated by newer code.`);
  if (missing.length > 0) problems.push(`placement ${name}: migrations not applied: ${missing.join(', ')}.`);
  return problems;
}

/**
 * Brings a placement's database to this code's schema and names it, as its owner: applies the
 * pending migrations (the same ones on every placement), claims the placement identity and
 * checks the schema version. Returns the problems found (empty: ready); connection failures
 * are thrown as they are (the caller tells "down" from "wrong").
 */
export async function migratePlacement(url: string, name: string, mode: DeploymentMode, logger: Logger): Promise<string[]> {
  const owner = await connectOrm({ clientUrl: url, mode, poolMax: 1 });
  try {
    const applied = await owner.getMigrator().up();
    if (applied.length > 0) logger.info({ placement: name, migrations: applied.map((m) => m.name) }, 'migrations applied');
    return [...(await claimPlacementIdentity(owner, name)), ...(await schemaVersionProblems(owner, name))];
  } finally {
    await owner.close();
  }
}

/**
 * What the serving connections of a placement must find before it serves: row-level security on
 * every tenant table (src/db/tenant-table-check.ts) and a serving role that cannot bypass it
 * (src/db/serving-role.ts), each sentence prefixed with the placement's name. `strictRole`:
 * role problems count (production); else the caller only warns about them.
 */
export async function servingProblems(serving: Orm, name: string, { strictRole }: { strictRole: boolean }): Promise<{ problems: string[]; warnings: string[] }> {
  const tables = await tenantTableProblems(serving);
  const roles = await servingRoleProblems(serving);
  const named = (list: string[]) => list.map((p) => `placement ${name}: ${p}`);
  return strictRole ? { problems: named([...tables, ...roles]), warnings: [] } : { problems: named(tables), warnings: named(roles) };
}
