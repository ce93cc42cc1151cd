import DataLoader from 'dataloader';
import type { StoredFile } from '../../db/entities/index.js';
import { tenantStatement, type TenantSql } from '../../tenancy/tenant-sql.js';

interface FileRow {
  id: string;
  organization_id: string;
  document_id: string;
  object_key: string;
  filename: string;
  content_type: string;
  byte_size: string;
  sha256: string;
  status: StoredFile['status'];
  created_by_id: string | null;
  created_at: Date;
  completed_at: Date | null;
}

/** A file as Document.files reads it: the entity's fields, not a managed entity (no ORM hydration). */
export type FileRecord = Pick<StoredFile, 'id' | 'organizationId' | 'documentId' | 'objectKey' | 'filename' | 'contentType' | 'byteSize' | 'sha256' | 'status' | 'createdById' | 'createdAt' | 'completedAt'>;

// The completed files of every document in `$2`, oldest first per document: one statement for a
// page of documents, over the (organization_id, document_id, created_at, id) index.
const readyFilesOf = tenantStatement(
  'files_of_documents',
  `select f.id, f.organization_id, f.document_id, f.object_key, f.filename, f.content_type, f.byte_size::text as byte_size, f.sha256, f.status,
          f.created_by_id, f.created_at, f.completed_at
     from file f
    where f.organization_id = $1 and f.document_id = any($2::uuid[]) and f.status = 'ready'
    order by f.document_id, f.created_at, f.id`,
);

/** Each document's completed files, by document id (documents without files are absent). */
export async function findReadyFiles(sql: TenantSql, documentIds: string[]): Promise<Map<string, FileRecord[]>> {
  const byDocument = new Map<string, FileRecord[]>();
  for (const r of await sql.rows<FileRow>(readyFilesOf, [documentIds])) {
    const file: FileRecord = {
      id: r.id, organizationId: r.organization_id, documentId: r.document_id, objectKey: r.object_key, filename: r.filename, contentType: r.content_type,
      byteSize: Number(r.byte_size), sha256: r.sha256, status: r.status, createdById: r.created_by_id, createdAt: r.created_at, completedAt: r.completed_at,
    };
    const list = byDocument.get(r.document_id);
    if (list) list.push(file);
    else byDocument.set(r.document_id, [file]);
  }
  return byDocument;
}

export type FilesLoader = DataLoader<string, FileRecord[]>;

/**
 * `Document.files` for every document of a page in ONE statement, as Document.comments does
 * (comment.loaders.ts). Without a tenant there is no `sql`; @tenantScoped refuses such requests first.
 */
export function filesLoader(sql: TenantSql | undefined): FilesLoader {
  return new DataLoader(async (documentIds) => {
    if (!sql) throw new Error('Document.files needs a tenant session');
    const found = await findReadyFiles(sql, [...documentIds]);
    return documentIds.map((id) => found.get(id) ?? []);
  });
}
