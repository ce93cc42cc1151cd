import type { Resolvers } from '../../graphql/generated/resolvers.js';
import { scopeOf } from '../../tenancy/request-scope.js';
import * as documents from './document.service.js';

export const documentResolvers: Resolvers = {
  Query: {
    documents: (_, args, ctx) => documents.listDocuments(scopeOf(ctx), args),
    document: (_, { id }, ctx) => documents.getDocument(scopeOf(ctx), id),
  },
  Mutation: {
    createDocument: (_, { input }, ctx) => documents.createDocument(scopeOf(ctx), input),
    updateDocument: (_, { id, input }, ctx) => documents.updateDocument(scopeOf(ctx), id, input),
    archiveDocument: (_, { id }, ctx) => documents.setArchived(scopeOf(ctx), id, true),
    restoreDocument: (_, { id }, ctx) => documents.setArchived(scopeOf(ctx), id, false),
    deleteDocument: (_, { id }, ctx) => documents.deleteDocument(scopeOf(ctx), id, ctx.storage),
  },
  Document: {
    // A document read by document.queries.ts carries its author; one returned by a write does not.
    createdBy: (doc, _, ctx) => (doc.author !== undefined ? doc.author : doc.createdById ? ctx.loaders.user.load(doc.createdById) : null),
  },
};
