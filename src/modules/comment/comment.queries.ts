import type { CommentRecord } from '../../graphql/models.js';
import { tenantStatementVariant, textLimit, type TenantSql, type TenantStatement } from '../../tenancy/tenant-sql.js';
import { AUTHOR_COLUMNS, authorOf, type AuthorColumns } from '../authors.js';

interface CommentRow extends AuthorColumns {
  id: string;
  organization_id: string;
  document_id: string;
  author_id: string | null;
  body: string;
  created_at: Date;
}

// The first `limit` comments of each document in `$2`, oldest first: one LIMIT per document (a
// lateral join over the organization's (document_id, created_at, id) index), author joined. The
// limit is in the text, one statement per page size (see textLimit).
function firstComments(first: number): TenantStatement {
  const limit = textLimit(first);
  return tenantStatementVariant(
    `comments_of_documents_${limit}`,
    () => `select c.id, c.organization_id, c.document_id, c.author_id, c.body, c.created_at, ${AUTHOR_COLUMNS}
         from unnest($2::uuid[]) as page(document_id)
         cross join lateral (
           select * from comment
            where organization_id = $1 and document_id = page.document_id
            order by created_at, id limit ${limit}) c
         left join "user" u on u.id = c.author_id
        order by c.document_id, c.created_at, c.id`,
  );
}

/** Each document's first `first` comments, by document id (documents without comments are absent). */
export async function findFirstComments(sql: TenantSql, documentIds: string[], first: number): Promise<Map<string, CommentRecord[]>> {
  const rows = await sql.rows<CommentRow>(firstComments(first), [documentIds]);
  const byDocument = new Map<string, CommentRecord[]>();
  for (const r of rows) {
    const comment = { id: r.id, organizationId: r.organization_id, documentId: r.document_id, authorId: r.author_id, body: r.body, createdAt: r.created_at, author: authorOf(r.author_id, r) };
    const list = byDocument.get(r.document_id);
    if (list) list.push(comment);
    else byDocument.set(r.document_id, [comment]);
  }
  return byDocument;
}
