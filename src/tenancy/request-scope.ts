import type { Role } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import type { GraphQLContext } from '../graphql/context.js';
import { requireTenant } from './tenant-scoped-directive.js';
import type { TenantEntityManager } from './tenant-entity-manager.js';
import type { TenantSql } from './tenant-sql.js';

/** Everything a service needs to act for one user in one organization. */
export interface RequestScope {
  em: TenantEntityManager;
  /** Fixed statements for hot reads, in the same transaction as `em` (tenant-sql.ts). */
  sql: TenantSql;
  organizationId: string;
  userId: string;
  role: Role;
  requestId: string;
  /** The placement serving the organization (`shared` or a dedicated one). */
  placement: string;
  /** The shared database's serving ORM: the membership index of dedicated organizations. */
  shared: Orm;
  /** Work to do once the request's transaction has committed (TenantSession.afterCommit). */
  afterCommit(task: () => Promise<void>): void;
}

export function scopeOf(ctx: GraphQLContext): RequestScope {
  const tenant = requireTenant(ctx);
  return {
    em: ctx.em,
    sql: tenant.session.sql,
    organizationId: tenant.organizationId,
    userId: ctx.userId!,
    role: tenant.role,
    requestId: ctx.requestId,
    placement: tenant.placement,
    shared: ctx.orm,
    afterCommit: (task) => tenant.session.afterCommit(task),
  };
}
