import type { Resolvers } from '../../graphql/generated/resolvers.js';
import { pageSize } from '../../graphql/pagination.js';
import { scopeOf } from '../../tenancy/request-scope.js';
import { addComment } from './comment.service.js';

export const commentResolvers: Resolvers = {
  Mutation: {
    addComment: (_, { documentId, body }, ctx) => addComment(scopeOf(ctx), documentId, body),
  },
  Document: {
    // Batched per page of documents (comment.loaders.ts): no statement per document.
    comments: (doc, { first }, ctx) => ctx.loaders.comments.load({ documentId: doc.id, first: pageSize(first, 10) }),
  },
  Comment: {
    // Read comments carry their author (comment.queries.ts); the one addComment returns does not.
    author: (comment, _, ctx) => (comment.author !== undefined ? comment.author : comment.authorId ? ctx.loaders.user.load(comment.authorId) : null),
  },
};
