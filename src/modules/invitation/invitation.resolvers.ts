import type { Resolvers } from '../../graphql/generated/resolvers.js';
import { scopeOf } from '../../tenancy/request-scope.js';
import { acceptInvitation } from './accept-invitation.service.js';
import { inviteMember, listInvitations, revokeInvitation } from './invitation.service.js';

export const invitationResolvers: Resolvers = {
  Query: {
    invitations: (_, __, ctx) => listInvitations(scopeOf(ctx)),
  },
  Mutation: {
    inviteMember: (_, { input }, ctx) => inviteMember(scopeOf(ctx), ctx, { email: input.email, role: input.role ?? 'MEMBER' }),
    revokeInvitation: (_, { id }, ctx) => revokeInvitation(scopeOf(ctx), id),
    acceptInvitation: (_, { token }, ctx) => acceptInvitation(ctx, token),
  },
  Invitation: {
    invitedBy: (i, _, ctx) => (i.invitedById ? ctx.loaders.user.load(i.invitedById) : null),
  },
};
