import type { Resolvers } from '../../graphql/generated/resolvers.js';
import { scopeOf } from '../../tenancy/request-scope.js';
import { listMembers, removeMember } from './membership.service.js';

export const membershipResolvers: Resolvers = {
  Query: {
    members: (_, __, ctx) => listMembers(scopeOf(ctx)),
  },
  Mutation: {
    removeMember: (_, { userId }, ctx) => removeMember(scopeOf(ctx), userId),
  },
  Membership: {
    user: async (m, _, ctx) => (await ctx.loaders.user.load(m.userId))!,
    organization: async (m, _, ctx) => (await ctx.loaders.organization.load(m.organizationId))!,
  },
};
