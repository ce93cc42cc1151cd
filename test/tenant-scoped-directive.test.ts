import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { graphql, parse, subscribe, type ExecutionResult } from 'graphql';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GraphQLContext } from '../src/graphql/context.js';
import { applyTenantScoped } from '../src/tenancy/tenant-scoped-directive.js';

// The @tenantScoped wrapper on its own: in the real schema every resolver also checks the scope
// (requestScope), so the HTTP tests cannot tell whether the wrapper works. Here no resolver
// checks anything and counts its calls; only the wrapper stands between a caller and the data.

const directives = readFileSync(new URL('../schema/directives.graphql', import.meta.url), 'utf8');
const sdl = /* GraphQL */ `
  type Query {
    secret: Secret @tenantScoped
    "Unscoped on purpose: reaches a @tenantScoped type, whose own fields must refuse."
    leak: Secret @unscoped(reason: "test")
    named: Named @unscoped(reason: "test")
    open: String @unscoped(reason: "test")
  }
  type Subscription {
    events: Secret @tenantScoped
  }
  "Default resolvers only: the wrapper must wrap graphql-js's default resolver too."
  type Secret @tenantScoped {
    value: String
  }
  interface Named {
    name: String @tenantScoped
  }
  "No directive of its own: the interface field's @tenantScoped must reach it."
  type Thing implements Named {
    name: String
  }
`;

let calls: Record<string, number>;
beforeEach(() => {
  calls = { secret: 0, leak: 0, value: 0, name: 0, subscribe: 0 };
});

/** A source object whose `value` counts reads: the default resolver reads it. */
function secretRow() {
  return {
    get value() {
      calls.value!++;
      return 'organization data';
    },
  };
}

const schema = applyTenantScoped(
  makeExecutableSchema({
    typeDefs: [directives, sdl],
    resolvers: {
      Query: {
        secret: () => (calls.secret!++, secretRow()),
        leak: () => (calls.leak!++, secretRow()),
        named: () => ({
          __typename: 'Thing',
          get name() {
            calls.name!++;
            return 'organization data';
          },
        }),
        open: () => 'public',
      },
      Named: { __resolveType: () => 'Thing' },
      Subscription: {
        events: {
          subscribe: async function* () {
            calls.subscribe!++;
            yield { events: secretRow() };
          },
        },
      },
    },
  }),
);

const anonymous = { userId: null, tenant: null } as unknown as GraphQLContext;
const withoutOrganization = { userId: 'user-1', tenant: null } as unknown as GraphQLContext;
const withTenant = { userId: 'user-1', tenant: { organizationId: 'org-1', role: 'MEMBER' } } as unknown as GraphQLContext;

const run = (source: string, contextValue: GraphQLContext) => graphql({ schema, source, contextValue });
const isStream = (result: object) => Symbol.asyncIterator in result;
const codes = (result: ExecutionResult) => result.errors?.map((e) => e.extensions.code);

describe('@tenantScoped wrapper, with resolvers that check nothing', () => {
  it('a root field: UNAUTHENTICATED without a user, FORBIDDEN without an organization; the resolver never runs', async () => {
    expect(codes(await run('{ secret { value } }', anonymous))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await run('{ secret { value } }', withoutOrganization))).toEqual(['FORBIDDEN']);
    expect(calls).toMatchObject({ secret: 0, value: 0 });
  });

  it('a root field with a tenant runs its resolver', async () => {
    const result = await run('{ secret { value } }', withTenant);
    expect(result).toEqual({ data: { secret: { value: 'organization data' } } });
    expect(calls).toMatchObject({ secret: 1, value: 1 });
  });

  it("a type-level @tenantScoped guards the type's default resolvers, whatever field reached it", async () => {
    const anon = await run('{ leak { value } }', anonymous);
    expect(codes(anon)).toEqual(['UNAUTHENTICATED']);
    expect(anon.errors![0]!.path).toEqual(['leak', 'value']);
    expect(codes(await run('{ leak { value } }', withoutOrganization))).toEqual(['FORBIDDEN']);
    expect(calls.value).toBe(0);
    expect(await run('{ leak { value } }', withTenant)).toEqual({ data: { leak: { value: 'organization data' } } });
    expect(calls.value).toBe(1);
  });

  it("an interface field's @tenantScoped guards the implementing type's field", async () => {
    expect(codes(await run('{ named { name } }', withoutOrganization))).toEqual(['FORBIDDEN']);
    expect(calls.name).toBe(0);
    expect(await run('{ named { name } }', withTenant)).toEqual({ data: { named: { name: 'organization data' } } });
  });

  it('leaves fields without the directive alone', async () => {
    expect(await run('{ open }', anonymous)).toEqual({ data: { open: 'public' } });
  });

  it('a subscription: the event stream is never opened without an organization', async () => {
    const document = parse('subscription { events { value } }');
    for (const [contextValue, code] of [[anonymous, 'UNAUTHENTICATED'], [withoutOrganization, 'FORBIDDEN']] as const) {
      const result = await subscribe({ schema, document, contextValue });
      expect(isStream(result)).toBe(false);
      expect(codes(result as ExecutionResult)).toEqual([code]);
    }
    expect(calls).toMatchObject({ subscribe: 0, value: 0 });

    const stream = await subscribe({ schema, document, contextValue: withTenant });
    expect(isStream(stream)).toBe(true);
    const first = await (stream as AsyncGenerator<ExecutionResult>).next();
    expect(first.value).toEqual({ data: { events: { value: 'organization data' } } });
    expect(calls.subscribe).toBe(1);
  });
});
