import { Document, StoredFile } from '../../db/entities/index.js';
import type { DocumentRecord } from '../../graphql/models.js';
import { randomUUID } from 'node:crypto';
import { atLeast } from '../../auth/roles.js';
import { forbidden, notFound } from '../../graphql/errors.js';
import { line, parseId, text } from '../../graphql/input.js';
import { keysetPosition, pageConnection, pageSize } from '../../graphql/pagination.js';
import type { RequestScope } from '../../tenancy/request-scope.js';
import type { TenantEntityManager } from '../../tenancy/tenant-entity-manager.js';
import type { StorageProvider } from '../../storage/index.js';
import { eventValues } from '../activity/activity-events.js';
import { audited, requireRoleAudited } from '../audited.js';
import { deleteObjectsAfterCommit } from '../file/file-lifecycle.js';
import { findDocumentAudited, findDocumentPage, insertDocumentAudited } from './document.queries.js';

const TITLE = { min: 1, max: 200 };
const BODY = { max: 100_000 };
const target = (id?: string) => ({ type: 'Document', id });

export interface DocumentListArgs {
  first?: number | null;
  after?: string | null;
  filter?: { includeArchived?: boolean | null; titleContains?: string | null } | null;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function listDocuments(scope: RequestScope, { first, after, filter }: DocumentListArgs) {
  const size = pageSize(first, 20);
  const rows = await findDocumentPage(scope.sql, {
    first: size,
    after: keysetPosition(after),
    includeArchived: Boolean(filter?.includeArchived),
    titleLike: filter?.titleContains ? `%${escapeLike(text(filter.titleContains, 'titleContains', TITLE))}%` : undefined,
  });
  return pageConnection(rows, size);
}

/**
 * Reads are audited too, in the same statement as the read (document.queries.ts). Unknown ids
 * and other organizations' ids both give null, and both are recorded as `document.read.denied`.
 */
export async function getDocument(scope: RequestScope, rawId: string): Promise<DocumentRecord | null> {
  const id = parseId(rawId);
  return findDocumentAudited(scope.sql, eventValues(scope, 'document.read', target(id)), 'document.read.denied');
}

async function load(em: TenantEntityManager, id: string): Promise<Document> {
  // The tenant filter scopes this read; TenantEntityManager re-checks identity-map hits.
  const doc = await em.findOne(Document, { id });
  if (!doc) throw notFound('Document');
  return doc;
}

/**
 * MEMBER or above (a lower role's attempt is recorded as `document.create.denied`). The document
 * and its `document.create` event are ONE statement (document.queries.ts), in the request's
 * transaction, under the same walls as every write: TenantSql binds the organization and the
 * fixed-statement check proves each row gets it, row-level security checks both rows, and the
 * transaction was entered behind the placement fence and the organization's move lock
 * (enter_organization; a paused organization's transaction is read only: TENANT_MOVING). The
 * deferred foreign keys (author still a member) are checked at the request's COMMIT, whose
 * failure turns the answer into an error (request-transaction.ts). organizationId and author
 * come from the request, never from input.
 */
export async function createDocument(scope: RequestScope, input: { title: string; body?: string | null }): Promise<DocumentRecord> {
  const title = line(input.title, 'title', TITLE);
  const body = input.body == null ? null : text(input.body, 'body', BODY);
  await requireRoleAudited(scope, { action: 'document.create', requires: 'MEMBER', describe: 'Creating documents', target: target() });
  return insertDocumentAudited(scope.sql, eventValues(scope, 'document.create', target(randomUUID())), { title, body });
}

export async function updateDocument(scope: RequestScope, rawId: string, input: { title?: string | null; body?: string | null }) {
  const id = parseId(rawId);
  const changes: Partial<Pick<Document, 'title' | 'body'>> = {};
  if (input.title != null) changes.title = line(input.title, 'title', TITLE);
  if ('body' in input && input.body !== undefined) changes.body = input.body === null ? null : text(input.body, 'body', BODY);
  return audited(scope, { action: 'document.update', target: target(id), requires: 'MEMBER', describe: 'Editing documents' }, async (em) => {
    const doc = await load(em, id);
    em.assign(doc, changes);
    return doc;
  });
}

export async function setArchived(scope: RequestScope, rawId: string, archived: boolean) {
  const id = parseId(rawId);
  const action = archived
    ? { action: 'document.archive', describe: 'Archiving documents' }
    : { action: 'document.restore', describe: 'Restoring documents' };
  return audited(scope, { ...action, target: target(id), requires: 'MEMBER' }, async (em) => {
    const doc = await load(em, id);
    doc.archivedAt = archived ? (doc.archivedAt ?? new Date()) : null;
    return doc;
  });
}

/**
 * The author or an ADMIN. Deletes the document; its comments and file rows go with it (foreign
 * keys' cascade, which queues the files' keys: file_lifecycle migration), and the files' bytes
 * are deleted once the request has committed. Returns the id.
 */
export async function deleteDocument(scope: RequestScope, rawId: string, storage: StorageProvider): Promise<string> {
  const id = parseId(rawId);
  let keys: string[] = [];
  const deleted = await audited(scope, { action: 'document.delete', target: target(id), requires: 'MEMBER', describe: 'Deleting documents' }, async (em) => {
    const doc = await load(em, id);
    if (!atLeast(scope.role, 'ADMIN') && doc.createdById !== scope.userId) {
      throw forbidden('Only the author or an ADMIN can delete this document.');
    }
    keys = (await em.find(StoredFile, { documentId: id })).map((f) => f.objectKey);
    em.remove(doc);
    return id;
  });
  deleteObjectsAfterCommit(scope, storage, keys);
  return deleted;
}
