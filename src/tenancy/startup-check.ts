import type { MetadataStorage } from '@mikro-orm/core';
import type { GraphQLSchema } from 'graphql';
import { schemaScopeProblems } from './schema-scope-check.js';
import { tenantScopedTypes } from './tenant-scoped-directive.js';

/**
 * Fail closed at start-up. Returns every problem found, one sentence each naming the entity,
 * type or field; the server refuses to start on any:
 * - an entity with `organizationId` that the tenant filter does not cover;
 * - a GraphQL type mapped to an entity but missing from the schema, or backed by a tenant-owned
 *   entity without `@tenantScoped`;
 * - everything {@link schemaScopeProblems} refuses: a root field (or a field with arguments on an
 *   unscoped type) that declares neither `@tenantScoped` nor `@unscoped(reason)`, a field of any
 *   type that reaches tenant data (through object types, unions and interfaces) unscoped, and a
 *   scoped field the directive's guard does not cover.
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
  return [...problems, ...schemaScopeProblems(schema)];
}

/** Thrown by createServer with every problem found; its message lists them, one per line. */
export class TenancyCheckError extends Error {
  constructor(readonly problems: string[]) {
    super(`Tenant isolation check failed, refusing to start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TenancyCheckError';
  }
}
