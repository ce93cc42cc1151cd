import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Organization, User } from '../db/entities/index.js';
import { commentsLoader, type CommentsLoader } from '../modules/comment/comment.loaders.js';
import type { TenantSql } from '../tenancy/tenant-sql.js';
import type { UserRecord } from './models.js';

/** Per-request batching for the to-one links GraphQL follows (no N+1 on lists). */
export interface Loaders {
  user: DataLoader<string, UserRecord | null>;
  organization: DataLoader<string, Organization | null>;
  /** Document.comments, one statement per page of documents (modules/comment/comment.loaders.ts). */
  comments: CommentsLoader;
}

function byId<T extends { id: string }>(load: (ids: string[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = await load([...ids]);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

export function createLoaders(em: EntityManager, sql?: TenantSql): Loaders {
  return {
    user: byId((ids) => em.find(User, { id: { $in: ids } })),
    organization: byId((ids) => em.find(Organization, { id: { $in: ids } })),
    comments: commentsLoader(sql),
  };
}
