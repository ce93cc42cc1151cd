import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Organization, User } from '../db/entities/index.js';
import { commentsLoader, type CommentsLoader } from '../modules/comment/comment.loaders.js';
import { filesLoader, type FilesLoader } from '../modules/file/file.queries.js';
import type { TenantSql } from '../tenancy/tenant-sql.js';
import type { UserRecord } from './models.js';

/** Per-request batching for the to-one links GraphQL follows (no N+1 on lists). */
export interface Loaders {
  user: DataLoader<string, UserRecord | null>;
  organization: DataLoader<string, Organization | null>;
  /** Document.comments, one statement per page of documents (modules/comment/comment.loaders.ts). */
  comments: CommentsLoader;
  /** Document.files, one statement per page of documents (modules/file/file.queries.ts). */
  files: FilesLoader;
}

function byId<T extends { id: string }>(load: (ids: string[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = await load([...ids]);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/**
 * `em`: the request's EntityManager (its placement); `directory`: one on the shared database,
 * where every organization has its row (a dedicated placement holds only its own), for names of
 * organizations the user belongs to elsewhere. Users are read on the placement: its members'
 * copies are there.
 */
export function createLoaders(em: EntityManager, directory: () => EntityManager, sql?: TenantSql): Loaders {
  return {
    user: byId((ids) => em.find(User, { id: { $in: ids } })),
    organization: byId((ids) => directory().find(Organization, { id: { $in: ids } })),
    comments: commentsLoader(sql),
    files: filesLoader(sql),
  };
}
