import type { Orm } from './orm.js';
import { tenantKeyProblems } from './tenant-key-check.js';

/** The policy every tenant-owned table carries (src/db/migrations/*_rls.ts and later ones). */
export const TENANT_POLICY = 'tenant_isolation';
/** The trigger function that refuses moving a row to another organization (core migration). */
export const IMMUTABLE_ORGANIZATION_FUNCTION = 'forbid_organization_change';

/**
 * Permissive policies besides {@link TENANT_POLICY} that a tenant table may carry, with the one
 * command each may be for. PostgreSQL ORs permissive policies together, so any other one would
 * widen what a request sees beyond its organization.
 */
const OTHER_PERMISSIVE_POLICIES: Record<string, { name: string; command: PolicyCommand; why: string }[]> = {
  membership: [{ name: 'own_memberships', command: 'r', why: 'sign-in and `me` list the signed-in user\'s own memberships' }],
};

/** pg_policy.polcmd: `*` ALL, `r` SELECT, `a` INSERT, `w` UPDATE, `d` DELETE. */
type PolicyCommand = '*' | 'r' | 'a' | 'w' | 'd';

interface TableRow {
  table: string;
  /** False when no such table is on the search path. */
  exists: boolean;
  enabled: boolean;
  forced: boolean;
  policies: { name: string; permissive: boolean; command: PolicyCommand; public: boolean; using: string | null; check: string | null }[];
  /** Triggers calling {@link IMMUTABLE_ORGANIZATION_FUNCTION}, with what makes them fire. */
  triggers: { name: string; rowBeforeUpdate: boolean; enabled: boolean; onOrganizationId: boolean }[];
}

/**
 * Normalized for comparison: whitespace, parentheses and column aliases removed, lower case.
 * PostgreSQL stores a policy's expression as a parse tree and prints it back its own way
 * (pg_get_expr: `( SELECT (NULLIF(...))::uuid AS "nullif")`), so the text written in a migration
 * never comes back as written. Anything more than the predicate (`... OR true`) stays visible.
 */
function normalized(expression: string): string {
  return expression.replace(/\s+as\s+"?\w+"?/gi, '').replace(/[\s()]/g, '').toLowerCase();
}

/** The one predicate {@link TENANT_POLICY} may have, for both USING and WITH CHECK. */
const TENANT_PREDICATE = normalized(`organization_id = (select nullif(current_setting('app.organization_id'::text, true), ''::text)::uuid)`);

/**
 * Wall 2 is only there if every tenant-owned table has it: returns one sentence per missing
 * piece, naming the table (empty when all are in place). For each table of an entity with
 * `organizationId` (the same entities the tenant filter must cover, src/tenancy/startup-check.ts):
 * - the table exists, with row-level security ENABLEd and FORCEd (PostgreSQL applies no policy
 *   otherwise, and without FORCE none to the table's owner);
 * - a permissive policy {@link TENANT_POLICY} for ALL commands, to PUBLIC, whose USING and WITH
 *   CHECK are exactly `organization_id = <the transaction's app.organization_id>`;
 * - no other permissive policy, except those listed in OTHER_PERMISSIVE_POLICIES (restrictive
 *   ones only narrow access and are allowed);
 * - an enabled row-level BEFORE UPDATE trigger (on every column or on `organization_id`) that
 *   executes {@link IMMUTABLE_ORGANIZATION_FUNCTION}, so no UPDATE moves a row to another
 *   organization.
 * - its keys and replica identity include `organization_id` ({@link tenantKeyProblems}, Citus and
 *   row-filtered logical replication), listed after the row-level security problems.
 * Grants are not checked: a missing one refuses requests, it does not leak rows.
 *
 * Reads only the catalogs (pg_class, pg_policy, pg_trigger, and pg_index, pg_constraint), which every role may read, so it runs
 * on the serving connection. Sources: PostgreSQL docs, "Row Security Policies"
 * (ddl-rowsecurity.html), CREATE POLICY ("Policies are combined using OR" for permissive ones;
 * "FOR ALL ... the USING expression will be used for both" when WITH CHECK is omitted), pg_trigger.
 */
export async function tenantTableProblems(serving: Orm): Promise<string[]> {
  const tables = Object.values(serving.getMetadata().getAll())
    .filter((meta) => !meta.embeddable && meta.properties.organizationId)
    .map((meta) => ({ entity: meta.className, table: meta.tableName }));
  const rows = await serving.em.getDriver().getConnection().execute<TableRow[]>(
    `select wanted.name as "table", c.oid is not null as "exists",
            coalesce(c.relrowsecurity, false) as enabled, coalesce(c.relforcerowsecurity, false) as forced,
            coalesce((select json_agg(json_build_object(
                        'name', p.polname, 'permissive', p.polpermissive, 'command', p.polcmd, 'public', p.polroles = '{0}',
                        'using', pg_get_expr(p.polqual, p.polrelid), 'check', pg_get_expr(p.polwithcheck, p.polrelid)))
                        from pg_policy p where p.polrelid = c.oid), '[]') as policies,
            coalesce((select json_agg(json_build_object(
                        'name', t.tgname,
                        'rowBeforeUpdate', t.tgtype & (1 | 2 | 16) = (1 | 2 | 16),
                        'enabled', t.tgenabled in ('O', 'A'),
                        'onOrganizationId', cardinality(t.tgattr::int2[]) = 0
                          or (select a.attnum from pg_attribute a where a.attrelid = c.oid and a.attname = 'organization_id') = any (t.tgattr::int2[])))
                        from pg_trigger t join pg_proc f on f.oid = t.tgfoid
                       where t.tgrelid = c.oid and not t.tgisinternal and f.proname = ?), '[]') as triggers
       from json_array_elements_text(?::json) as wanted(name)
       left join pg_class c on c.oid = to_regclass(quote_ident(wanted.name))`,
    [IMMUTABLE_ORGANIZATION_FUNCTION, JSON.stringify(tables.map((t) => t.table))],
  );
  const problems: string[] = [];
  for (const { entity, table } of tables) {
    const row = rows.find((r) => r.table === table);
    const name = `tenant table "${table}" (entity ${entity})`;
    if (!row?.exists) {
      problems.push(`${name} does not exist`);
      continue;
    }
    if (!row.enabled) problems.push(`${name}: row-level security is not enabled (alter table "${table}" enable row level security)`);
    if (!row.forced) problems.push(`${name}: row-level security is not forced (alter table "${table}" force row level security)`);
    problems.push(...policyProblems(name, table, row.policies));
    if (!row.triggers.some((t) => t.rowBeforeUpdate && t.enabled && t.onOrganizationId)) {
      problems.push(`${name}: no enabled BEFORE UPDATE trigger executes ${IMMUTABLE_ORGANIZATION_FUNCTION}(), so an UPDATE could move a row to another organization`);
    }
  }
  // Keys and replica identity: ready for Citus and for row-filtered logical replication.
  const existing = tables.filter(({ table }) => rows.some((r) => r.table === table && r.exists));
  problems.push(...(await tenantKeyProblems(serving, existing)));
  return problems;
}

function policyProblems(name: string, table: string, policies: TableRow['policies']): string[] {
  const problems: string[] = [];
  const tenant = policies.find((p) => p.name === TENANT_POLICY);
  if (!tenant) problems.push(`${name}: no ${TENANT_POLICY} policy`);
  else {
    const check = tenant.check ?? tenant.using; // FOR ALL without WITH CHECK checks with USING
    const exact = (expression: string | null) => expression !== null && normalized(expression) === TENANT_PREDICATE;
    if (!tenant.permissive || tenant.command !== '*' || !tenant.public || !exact(tenant.using) || !exact(check)) {
      problems.push(
        `${name}: its ${TENANT_POLICY} policy is not "as permissive for all to public using (organization_id = <app.organization_id>) with check (the same)" ` +
          `(it is ${tenant.permissive ? 'permissive' : 'restrictive'}, command ${tenant.command}${tenant.public ? '' : ', not to public'}, using ${tenant.using}, with check ${tenant.check})`,
      );
    }
  }
  const allowed = OTHER_PERMISSIVE_POLICIES[table] ?? [];
  for (const policy of policies.filter((p) => p.permissive && p.name !== TENANT_POLICY)) {
    if (!allowed.some((a) => a.name === policy.name && a.command === policy.command)) {
      problems.push(`${name}: permissive policy ${policy.name} (command ${policy.command}) widens what a request may see beyond its organization (permissive policies are OR-ed)`);
    }
  }
  return problems;
}
