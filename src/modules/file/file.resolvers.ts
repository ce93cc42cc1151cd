import type { GraphQLContext } from '../../graphql/context.js';
import type { Resolvers } from '../../graphql/generated/resolvers.js';
import { scopeOf } from '../../tenancy/request-scope.js';
import * as files from './file.service.js';

const services = (ctx: GraphQLContext): files.FileServices => ({ storage: ctx.storage, limits: ctx.config.storage, origin: ctx.publicOrigin, log: ctx.log });

export const fileResolvers: Resolvers = {
  Mutation: {
    requestFileUpload: (_, { input }, ctx) => files.requestFileUpload(scopeOf(ctx), services(ctx), input),
    completeFileUpload: (_, { fileId }, ctx) => files.completeFileUpload(scopeOf(ctx), services(ctx), fileId),
    deleteFile: (_, { id }, ctx) => files.deleteFile(scopeOf(ctx), services(ctx), id),
  },
  Document: {
    files: (doc, _, ctx) => ctx.loaders.files.load(doc.id),
  },
  File: {
    byteSize: (file) => Number(file.byteSize),
    downloadUrl: (file, _, ctx) => files.downloadUrl(scopeOf(ctx), services(ctx), file),
  },
};
