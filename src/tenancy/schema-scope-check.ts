import { getDirective } from '@graphql-tools/utils';
import {
  getNamedType,
  isAbstractType,
  isIntrospectionType,
  isObjectType,
  isUnionType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { hasTenantScoped, isTenantGuarded, isTenantScopedField, tenantScopedTypes, UNSCOPED } from './tenant-scoped-directive.js';

type Field = GraphQLField<unknown, unknown>;

/**
 * What the schema itself must declare so that no field reaches tenant data without an active
 * organization, read from the SDL alone (no list of field names). One sentence per problem,
 * naming the field; empty when the schema is sound:
 *
 * 1. Every Query, Mutation and Subscription field, and every field that takes arguments on an
 *    object type that is not `@tenantScoped`, carries exactly one of `@tenantScoped` and
 *    `@unscoped(reason)` with a non-blank reason. Arguments are how a caller hands in an id of
 *    another organization's row; a field that takes one and returns only `ID!` or `Boolean!`
 *    (`deleteDocument`, `removeMember`) cannot be recognised by its return type, so it must say
 *    what it needs.
 * 2. `@unscoped` on a field of a `@tenantScoped` type is refused: the type's scope wins, so the
 *    declaration would say the opposite of what runs.
 * 3. A field of any object type whose named return type carries tenant data (a `@tenantScoped`
 *    object type, a union with such a member, an interface with such an implementation; lists
 *    and non-null unwrapped) is `@tenantScoped` itself, sits on a `@tenantScoped` type, or
 *    implements an interface field declared `@tenantScoped`. Otherwise its resolver would run,
 *    and query, before the returned object's fields refuse.
 * 4. Every field the directive scopes is actually guarded (resolve, and on the Subscription root
 *    subscribe): the schema went through `applyTenantScoped`.
 */
export function schemaScopeProblems(schema: GraphQLSchema): string[] {
  const problems: string[] = [];
  const scopedTypes = tenantScopedTypes(schema);
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter((t) => t !== undefined && t !== null));
  const unguarded: string[] = [];

  for (const type of objectTypes(schema)) {
    const typeScoped = scopedTypes.has(type.name);
    for (const field of Object.values(type.getFields())) {
      const name = `${type.name}.${field.name}`;
      const mustDeclare = roots.has(type) || (!typeScoped && field.args.length > 0);
      problems.push(...declarationProblems(schema, name, field, mustDeclare, typeScoped));

      const scoped = isTenantScopedField(schema, type.name, field.name);
      const carried = tenantDataIn(schema, getNamedType(field.type), scopedTypes);
      if (carried && !scoped) problems.push(reachProblem(schema, name, field, type, carried));
      if (scoped && !isTenantGuarded(schema, type.name, field as Field)) unguarded.push(name);
    }
  }
  if (unguarded.length > 0) {
    problems.push(`@tenantScoped fields without the directive's guard (the schema was not built through applyTenantScoped): ${unguarded.join(', ')}`);
  }
  return problems;
}

function objectTypes(schema: GraphQLSchema): GraphQLObjectType[] {
  return Object.values(schema.getTypeMap()).filter((t): t is GraphQLObjectType => isObjectType(t) && !isIntrospectionType(t));
}

/** Rules 1 and 2 for one field. */
function declarationProblems(schema: GraphQLSchema, name: string, field: Field, mustDeclare: boolean, typeScoped: boolean): string[] {
  const scoped = hasTenantScoped(schema, field);
  const unscoped = (getDirective(schema, field, UNSCOPED) ?? []) as { reason?: unknown }[];
  if (unscoped.length > 0 && typeScoped) return [`${name} is @unscoped on a @tenantScoped type, whose scope applies anyway: remove @unscoped`];
  if (scoped && unscoped.length > 0) return [`${name} carries both @tenantScoped and @unscoped: keep exactly one`];
  if (unscoped.some((u) => typeof u.reason !== 'string' || u.reason.trim() === '')) return [`${name} is @unscoped with an empty reason: say why it needs no organization`];
  if (mustDeclare && !scoped && unscoped.length === 0) {
    const why = field.args.length > 0 ? `takes arguments (${field.args.map((a) => a.name).join(', ')})` : 'is a root field';
    return [`${name} carries neither @tenantScoped nor @unscoped(reason: "..."): it ${why}, so it must declare whether it needs an active organization`];
  }
  return [];
}

/**
 * Why `type` carries tenant data ("@tenantScoped type Document", "union Feed with @tenantScoped
 * member Document"), or undefined when it does not.
 */
function tenantDataIn(schema: GraphQLSchema, type: GraphQLNamedType, scopedTypes: Set<string>): string | undefined {
  if (isObjectType(type)) return scopedTypes.has(type.name) ? `@tenantScoped type ${type.name}` : undefined;
  if (!isAbstractType(type)) return undefined;
  const member = schema.getPossibleTypes(type).find((t) => scopedTypes.has(t.name));
  if (!member) return undefined;
  return isUnionType(type) ? `union ${type.name} with @tenantScoped member ${member.name}` : `interface ${type.name} with @tenantScoped implementation ${member.name}`;
}

/** Rule 3's sentence. */
function reachProblem(schema: GraphQLSchema, name: string, field: Field, type: GraphQLObjectType, carried: string): string {
  const returns = getNamedType(field.type).name;
  if (getDirective(schema, field, UNSCOPED)?.length) return `${name} is @unscoped but returns ${returns}, which carries tenant data (${carried})`;
  return `${name} returns ${returns}, which carries tenant data (${carried}), but neither the field nor type ${type.name} is @tenantScoped`;
}
