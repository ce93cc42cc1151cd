import type { Options } from '@mikro-orm/core';

type FilterDef = NonNullable<Options['filters']>[string];
import type { DeploymentMode } from '../config/index.js';
import { tenantFilteredEntities } from '../db/entities/index.js';
import { assertOrganizationId, assertUuid } from './organization-id.js';

export const TENANT_FILTER = 'tenant';

export interface TenantFilterParams {
  organizationId: string;
}

/**
 * The `tenant` global filter: `{ organizationId }` on every tenant-owned entity. The condition
 * declares a parameter, so MikroORM itself throws when no params were set on the EntityManager;
 * `assertOrganizationId` covers params that are present but empty or malformed.
 * Single-tenant mode registers it switched off: one database holds one organization.
 */
export function tenantFilter(mode: DeploymentMode): FilterDef {
  return {
    name: TENANT_FILTER,
    entity: tenantFilteredEntities.map((e) => e.meta.className),
    default: mode === 'multi_tenant',
    cond: (params: TenantFilterParams) => ({ organizationId: assertOrganizationId(params?.organizationId) }),
  };
}

/**
 * The `viewer` filter: a user scope's reads of memberships, `{ userId }`. Never on by default;
 * TenantEntityManager turns it on (and the tenant filter off) for user scopes only.
 */
export const viewerFilter: FilterDef = {
  name: 'viewer',
  entity: ['Membership'],
  default: false,
  cond: (params: { userId: string }) => ({ userId: assertUuid(params?.userId, 'user id') }),
};
