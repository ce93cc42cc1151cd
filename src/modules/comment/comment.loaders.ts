import DataLoader from 'dataloader';
import type { CommentRecord } from '../../graphql/models.js';
import type { TenantSql } from '../../tenancy/tenant-sql.js';
import { findFirstComments } from './comment.queries.js';

/** A document's comments, at most `first` of them: the two arguments `Document.comments` takes. */
export interface CommentsKey {
  documentId: string;
  first: number;
}

export type CommentsLoader = DataLoader<CommentsKey, CommentRecord[], string>;

/**
 * `Document.comments` for every document of a page in ONE statement however long the page (one
 * per distinct `first`, when aliases ask for different counts). Without a tenant there is no
 * `sql`; the @tenantScoped directive refuses such requests before any comment is asked for.
 */
export function commentsLoader(sql: TenantSql | undefined): CommentsLoader {
  return new DataLoader(
    async (keys) => {
      if (!sql) throw new Error('Document.comments needs a tenant session');
      const firsts = [...new Set(keys.map((k) => k.first))];
      const found = new Map<number, Map<string, CommentRecord[]>>();
      for (const first of firsts) {
        const ids = [...new Set(keys.filter((k) => k.first === first).map((k) => k.documentId))];
        found.set(first, await findFirstComments(sql, ids, first));
      }
      return keys.map((k) => found.get(k.first)!.get(k.documentId) ?? []);
    },
    { cacheKeyFn: (k) => `${k.first}:${k.documentId}` },
  );
}
