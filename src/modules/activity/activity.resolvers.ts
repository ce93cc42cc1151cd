import type { Resolvers } from '../../graphql/generated/resolvers.js';
import { scopeOf } from '../../tenancy/request-scope.js';
import { listActivity } from './activity.service.js';

export const activityResolvers: Resolvers = {
  Query: {
    activity: (_, { first, after }, ctx) => listActivity(scopeOf(ctx), first, after),
  },
  ActivityEvent: {
    actor: (event, _, ctx) => (event.actorId ? ctx.loaders.user.load(event.actorId) : null),
  },
};
