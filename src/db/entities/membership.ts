import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const ROLES = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Tenant-owned: which users belong to an organization and with what role.
 * Relations are plain id columns: GraphQL resolves them through per-request loaders.
 */
export const Membership = defineEntity({
  name: 'Membership',
  tableName: 'membership',
  properties: (p) => ({
    organizationId: p.uuid().primary(),
    userId: p.uuid().primary(),
    role: p.enum([...ROLES]).nativeEnumName('membership_role'),
    createdAt: p.datetime(3).onCreate(() => new Date()),
  }),
});
export type Membership = InferEntity<typeof Membership>;
