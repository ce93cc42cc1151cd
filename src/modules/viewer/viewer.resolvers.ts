import type { Resolvers } from '../../graphql/generated/resolvers.js';
import { confirmSignUp, signUp } from './sign-up.service.js';
import * as viewer from './viewer.service.js';

export const viewerResolvers: Resolvers = {
  Query: {
    me: (_, __, ctx) => viewer.me(ctx),
  },
  Mutation: {
    signUp: (_, { input }, ctx) => signUp(ctx, input),
    confirmSignUp: (_, { token }, ctx) => confirmSignUp(ctx, token),
    login: (_, { input }, ctx) => viewer.login(ctx, input),
    switchOrganization: (_, { organizationId }, ctx) => viewer.switchOrganization(ctx, organizationId),
  },
  Viewer: {
    user: async (v, _, ctx) => (await ctx.loaders.user.load(v.userId))!,
    organization: (v, _, ctx) => (v.organizationId ? ctx.loaders.organization.load(v.organizationId) : null),
    memberships: (v, _, ctx) => viewer.viewerMemberships(ctx, v.userId),
  },
  ViewerMembership: {
    organization: async (m, _, ctx) => (await ctx.loaders.organization.load(m.organizationId))!,
  },
};
