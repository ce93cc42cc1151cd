import type { Resolvers } from '../../graphql/generated/resolvers.js';
import { scopeOf } from '../../tenancy/request-scope.js';

export const organizationResolvers: Resolvers = {
  Query: {
    organization: async (_, __, ctx) => (await ctx.loaders.organization.load(scopeOf(ctx).organizationId))!,
  },
};
