import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, isInterfaceType, type GraphQLField, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { GraphQLContext, Tenant } from '../graphql/context.js';
import { forbidden, unauthenticated } from '../graphql/errors.js';

export const TENANT_SCOPED = 'tenantScoped';
export const UNSCOPED = 'unscoped';

/** The tenant of a request, or the error the directive answers with when there is none. */
export function requireTenant(ctx: Pick<GraphQLContext, 'tenant' | 'userId'>): Tenant {
  if (ctx.tenant) return ctx.tenant;
  if (!ctx.userId) throw unauthenticated();
  throw forbidden('No active organization: log in with an organization you belong to, or call switchOrganization.');
}

type Directable = Parameters<typeof getDirective>[1];

/** Whether `@tenantScoped` is written on a type or field (in its definition or any `extend`). */
export function hasTenantScoped(schema: GraphQLSchema, node: Directable): boolean {
  return Boolean(getDirective(schema, node, TENANT_SCOPED)?.length);
}

/**
 * Whether field `fieldName` of object type `type` needs an active organization: the field carries
 * `@tenantScoped`, its type does, or an interface the type implements declares the same field
 * with `@tenantScoped`. graphql-js resolves a field on the concrete object type, never on the
 * interface, so a directive written on an interface's field is carried to every implementation
 * here rather than silently doing nothing.
 */
export function isTenantScopedField(schema: GraphQLSchema, typeName: string, fieldName: string): boolean {
  const type = schema.getType(typeName);
  if (!type || !('getFields' in type)) return false;
  const field = type.getFields()[fieldName];
  if (field && hasTenantScoped(schema, field)) return true;
  if (hasTenantScoped(schema, type)) return true;
  const interfaces = 'getInterfaces' in type ? type.getInterfaces() : [];
  return interfaces.some((iface) => {
    const declared = iface.getFields()[fieldName];
    return declared !== undefined && hasTenantScoped(schema, declared);
  });
}

// The functions this module put in front of a resolver or subscribe function: the start-up check
// asks for them, so a schema built without applyTenantScoped cannot serve scoped fields.
const guards = new WeakSet<GraphQLFieldResolver<unknown, GraphQLContext>>();

function guarded(inner: GraphQLFieldResolver<unknown, GraphQLContext>): GraphQLFieldResolver<unknown, GraphQLContext> {
  const guard: GraphQLFieldResolver<unknown, GraphQLContext> = (source, args, ctx, info) => {
    requireTenant(ctx);
    return inner(source, args, ctx, info);
  };
  guards.add(guard);
  return guard;
}

/**
 * Whether `field` runs only with an active organization: its resolver, and on the Subscription
 * root also its `subscribe` (which opens the event stream before any resolver runs), are guards
 * installed by {@link applyTenantScoped}.
 */
export function isTenantGuarded(schema: GraphQLSchema, typeName: string, field: GraphQLField<unknown, unknown>): boolean {
  const resolveGuarded = field.resolve !== undefined && guards.has(field.resolve as GraphQLFieldResolver<unknown, GraphQLContext>);
  if (typeName !== schema.getSubscriptionType()?.name) return resolveGuarded;
  return resolveGuarded && field.subscribe !== undefined && guards.has(field.subscribe as GraphQLFieldResolver<unknown, GraphQLContext>);
}

/**
 * Wraps every field that {@link isTenantScopedField} calls scoped so that it refuses to run
 * without a tenant (UNAUTHENTICATED without a user, FORBIDDEN without an organization), before
 * its resolver runs. Fields without a resolver get graphql-js's default one wrapped, so nothing
 * of a scoped type is readable outside its organization. On the Subscription root `subscribe` is
 * wrapped as well: graphql-js calls it to open the event stream before any `resolve`.
 *
 * `mapSchema`'s OBJECT_FIELD mapper sees object types only. Interfaces and unions need nothing
 * more: graphql-js never resolves through them, only through the concrete object type's field
 * (an interface field's directive is carried over by isTenantScopedField). The directive cannot be
 * written on an interface or union type (`on OBJECT | FIELD_DEFINITION`); the start-up check
 * covers fields that return them (src/tenancy/startup-check.ts).
 */
export function applyTenantScoped(schema: GraphQLSchema): GraphQLSchema {
  const subscriptionRoot = schema.getSubscriptionType()?.name;
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      if (!isTenantScopedField(schema, typeName, fieldName)) return field;
      return {
        ...field,
        resolve: guarded(field.resolve ?? defaultFieldResolver),
        ...(typeName === subscriptionRoot ? { subscribe: guarded(field.subscribe ?? defaultFieldResolver) } : {}),
      };
    },
  });
}

/** Names of object types carrying `@tenantScoped` (for the start-up check). */
export function tenantScopedTypes(schema: GraphQLSchema): Set<string> {
  return new Set(
    Object.values(schema.getTypeMap())
      .filter((t) => !t.name.startsWith('__') && !isInterfaceType(t) && hasTenantScoped(schema, t))
      .map((t) => t.name),
  );
}
