import type { Orm } from './orm.js';

/** The role serving connections switch to (created by the row-level-security migration). */
export const SERVING_ROLE = 'tenantql_app';

interface RoleRow {
  rolname: string;
  /** Whether this row is the role requests run as (else a role it is a member of). */
  itself: boolean;
  rolsuper: boolean;
  rolbypassrls: boolean;
  /** Tables, partitioned tables, views, materialized views and foreign tables it owns. */
  owned: number;
}

/**
 * Row-level security protects nothing if requests run as a role that can bypass it: a
 * superuser, a BYPASSRLS role, or a table owner (who may also switch RLS off with ALTER TABLE).
 * Each of those powers is also reachable through role membership: a member of a table's owner
 * has the owner's privileges (PostgreSQL checks ownership with has_privs_of_role), and a member
 * of a superuser or BYPASSRLS role can `SET ROLE` to it. So the role the serving connections
 * actually run as (`current_user`) and every role it is a member of, directly or not
 * (`pg_has_role(..., 'MEMBER')`), must be neither.
 *
 * Returns one sentence per problem, naming the role (empty when the role is safe). Sources:
 * PostgreSQL docs, "Row Security Policies" (ddl-rowsecurity.html), "Role Membership"
 * (role-membership.html), ALTER TABLE ("you must own the table").
 */
export async function servingRoleProblems(serving: Orm): Promise<string[]> {
  const rows = await serving.em.getDriver().getConnection().execute<RoleRow[]>(
    `select r.rolname, r.rolname = current_user as itself, r.rolsuper, r.rolbypassrls,
            (select count(*)::int from pg_class c where c.relowner = r.oid and c.relkind in ('r', 'p', 'v', 'm', 'f')) as owned
       from pg_roles r
      where r.rolname = current_user
         or (not (select rolsuper from pg_roles where rolname = current_user) and pg_has_role(current_user, r.oid, 'MEMBER'))
      order by r.rolname = current_user desc, r.rolname`,
  );
  const self = rows.find((r) => r.itself);
  if (!self) return ['the serving role could not be read from pg_roles'];
  const problems: string[] = [];
  for (const row of rows) {
    // A superuser is a member of every role, so for one only its own row is read.
    const who = row.itself ? `requests run as ${row.rolname}` : `requests run as ${self.rolname}, a member of ${row.rolname}`;
    if (row.rolsuper) problems.push(`${who}, ${row.itself ? 'a superuser' : 'a superuser role it can SET ROLE to'}: row-level security does not apply`);
    if (row.rolbypassrls) problems.push(`${who}, which has BYPASSRLS`);
    if (row.owned > 0) problems.push(`${who}, which owns ${row.owned} table(s) or view(s) (an owner can switch row-level security off)`);
  }
  return problems;
}
