import type { Orm } from './orm.js';

/** The role serving connections switch to (created by the row-level-security migration). */
export const SERVING_ROLE = 'tenantql_app';

interface RoleRow {
  rolname: string;
  rolsuper: boolean;
  rolbypassrls: boolean;
  owned: number;
}

/**
 * Row-level security protects nothing if requests run as a role that can bypass it: a
 * superuser, a BYPASSRLS role, or a table owner. Returns what is wrong with the role the
 * serving connections actually run as (empty when it is safe).
 */
export async function servingRoleProblems(serving: Orm): Promise<string[]> {
  const [row] = await serving.em.getDriver().getConnection().execute<RoleRow[]>(
    `select r.rolname, r.rolsuper, r.rolbypassrls,
            (select count(*)::int from pg_class c where c.relowner = r.oid and c.relkind in ('r', 'p', 'v', 'm')) as owned
       from pg_roles r where r.rolname = current_user`,
  );
  if (!row) return ['the serving role could not be read from pg_roles'];
  const problems: string[] = [];
  if (row.rolsuper) problems.push(`requests run as ${row.rolname}, a superuser: row-level security does not apply`);
  if (row.rolbypassrls) problems.push(`requests run as ${row.rolname}, which has BYPASSRLS`);
  if (row.owned > 0) problems.push(`requests run as ${row.rolname}, which owns ${row.owned} table(s) or view(s)`);
  return problems;
}
