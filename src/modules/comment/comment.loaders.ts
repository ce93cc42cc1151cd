import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Comment } from '../../db/entities/index.js';

/** A document's comments, at most `first` of them: the two arguments `Document.comments` takes. */
export interface CommentsKey {
  documentId: string;
  first: number;
}

export type CommentsLoader = DataLoader<CommentsKey, Comment[], string>;

/**
 * `Document.comments` for every document of a page in ONE statement, however long the page:
 * per request, on the request's tenant-scoped EntityManager (the tenant filter and row-level
 * security apply). It reads all comments of those documents and cuts each list to `first`
 * here, which over-reads documents with many comments; a lateral join (one LIMIT per document)
 * is the planned replacement. Keys with different `first` (aliases) share the statement.
 */
export function commentsLoader(em: EntityManager): CommentsLoader {
  return new DataLoader(
    async (keys) => {
      const documentIds = [...new Set(keys.map((k) => k.documentId))];
      const rows = await em.find(Comment, { documentId: { $in: documentIds } }, { orderBy: { createdAt: 'asc', id: 'asc' } });
      const byDocument = new Map<string, Comment[]>();
      for (const row of rows) {
        const list = byDocument.get(row.documentId);
        if (list) list.push(row);
        else byDocument.set(row.documentId, [row]);
      }
      return keys.map((k) => (byDocument.get(k.documentId) ?? []).slice(0, k.first));
    },
    { cacheKeyFn: (k) => `${k.first}:${k.documentId}` },
  );
}
