import type { MetadataStorage } from '@mikro-orm/core';
import { getNamedType, isObjectType, type GraphQLSchema } from 'graphql';
import { getDirective } from '@graphql-tools/utils';
import { TENANT_SCOPED, tenantScopedTypes } from './tenant-scoped-directive.js';

/**
 * Fail closed at start-up. Returns every problem found; the server refuses to start on any:
 * - an entity with `organizationId` that the tenant filter does not cover;
 * - a GraphQL type backed by a tenant-owned entity without `@tenantScoped`;
 * - a root field returning a `@tenantScoped` type without `@tenantScoped` itself (its
 *   resolver would run, and query, before the type's own fields refuse);
 * - a Subscription field on tenant data (the directive does not wrap `subscribe`).
 */
export function tenancyProblems(
  schema: GraphQLSchema,
  metadata: MetadataStorage,
  filterEntities: string[],
  typeEntities: Record<string, string>,
): string[] {
  const problems: string[] = [];
  const owned = new Set(
    Object.values(metadata.getAll())
      .filter((meta) => !meta.embeddable && meta.properties.organizationId)
      .map((meta) => meta.className),
  );
  for (const entity of owned) {
    if (!filterEntities.includes(entity)) problems.push(`entity ${entity} has organizationId but the tenant filter does not cover it`);
  }

  const scoped = tenantScopedTypes(schema);
  for (const [typeName, entity] of Object.entries(typeEntities)) {
    if (!schema.getType(typeName)) problems.push(`type ${typeName} is mapped to entity ${entity} but is not in the schema`);
    else if (owned.has(entity) && !scoped.has(typeName)) {
      problems.push(`type ${typeName} is backed by tenant-owned entity ${entity} but is not @tenantScoped`);
    }
  }

  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const returns = getNamedType(field.type);
      if (scoped.has(returns.name) && !getDirective(schema, field, TENANT_SCOPED)?.length) {
        problems.push(`${root!.name}.${field.name} returns @tenantScoped type ${returns.name} but is not @tenantScoped`);
      }
    }
  }
  const subscription = schema.getSubscriptionType();
  for (const field of Object.values(subscription?.getFields() ?? {})) {
    const returns = getNamedType(field.type);
    if (isObjectType(returns) && scoped.has(returns.name)) problems.push(`Subscription.${field.name} serves tenant data, which is not supported`);
  }
  return problems;
}

export class TenancyCheckError extends Error {
  constructor(readonly problems: string[]) {
    super(`Tenant isolation check failed, refusing to start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TenancyCheckError';
  }
}
