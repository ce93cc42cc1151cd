import { readdirSync, readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { DateTimeResolver } from 'graphql-scalars';
import type { GraphQLSchema } from 'graphql';
import { activityResolvers } from '../modules/activity/activity.resolvers.js';
import { commentResolvers } from '../modules/comment/comment.resolvers.js';
import { documentResolvers } from '../modules/document/document.resolvers.js';
import { fileResolvers } from '../modules/file/file.resolvers.js';
import { invitationResolvers } from '../modules/invitation/invitation.resolvers.js';
import { membershipResolvers } from '../modules/membership/membership.resolvers.js';
import { organizationResolvers } from '../modules/organization/organization.resolvers.js';
import { viewerResolvers } from '../modules/viewer/viewer.resolvers.js';
import { applyTenantScoped } from '../tenancy/tenant-scoped-directive.js';
import type { Resolvers } from './generated/resolvers.js';

const SCHEMA_DIR = new URL('../../schema/', import.meta.url);

/** The SDL files of `schema/`, in a stable order. */
export function loadTypeDefs(): string[] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(new URL(f, SCHEMA_DIR), 'utf8'));
}

export const resolvers: Resolvers[] = [
  { DateTime: DateTimeResolver },
  viewerResolvers,
  organizationResolvers,
  membershipResolvers,
  documentResolvers,
  fileResolvers,
  activityResolvers,
  commentResolvers,
  invitationResolvers,
];

export function buildSchema(typeDefs: string[] = loadTypeDefs()): GraphQLSchema {
  return applyTenantScoped(makeExecutableSchema({ typeDefs, resolvers }));
}
