import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import type { GraphQLContext, Tenant } from '../graphql/context.js';
import { forbidden, unauthenticated } from '../graphql/errors.js';

export const TENANT_SCOPED = 'tenantScoped';

/** The tenant of a request, or the error the directive answers with when there is none. */
export function requireTenant(ctx: Pick<GraphQLContext, 'tenant' | 'userId'>): Tenant {
  if (ctx.tenant) return ctx.tenant;
  if (!ctx.userId) throw unauthenticated();
  throw forbidden('No active organization: log in with an organization you belong to, or call switchOrganization.');
}

/**
 * Wraps every field of a `@tenantScoped` type and every `@tenantScoped` field so that it
 * refuses to run without a tenant. Fields without a resolver get the default one wrapped,
 * so nothing of a scoped type is readable outside its organization.
 */
export function applyTenantScoped(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, _name, typeName) => {
      const type = schema.getType(typeName);
      const scoped = getDirective(schema, field, TENANT_SCOPED)?.length || (type && getDirective(schema, type, TENANT_SCOPED)?.length);
      if (!scoped) return field;
      const resolve = field.resolve ?? defaultFieldResolver;
      return {
        ...field,
        resolve(source, args, ctx: GraphQLContext, info) {
          requireTenant(ctx);
          return resolve(source, args, ctx, info);
        },
      };
    },
  });
}

/** Names of types carrying `@tenantScoped` (for the start-up check). */
export function tenantScopedTypes(schema: GraphQLSchema): Set<string> {
  return new Set(
    Object.values(schema.getTypeMap())
      .filter((t) => !t.name.startsWith('__') && getDirective(schema, t, TENANT_SCOPED)?.length)
      .map((t) => t.name),
  );
}
