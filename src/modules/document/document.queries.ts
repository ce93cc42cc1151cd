import type { DocumentRecord } from '../../graphql/models.js';
import { AUTHOR_COLUMNS, authorOf, type AuthorColumns } from '../authors.js';
import { tenantStatement, tenantStatementVariant, textLimit, type TenantSql, type TenantStatement } from '../../tenancy/tenant-sql.js';

// The document reads every request makes, as fixed statements (see tenancy/tenant-sql.ts): one
// statement per read, the author joined in, no ORM hydration. Writes stay on the ORM.

interface DocumentRow extends AuthorColumns {
  id: string;
  organization_id: string;
  title: string;
  body: string | null;
  created_by_id: string | null;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
}

const SELECT = `select d.id, d.organization_id, d.title, d.body, d.created_by_id, d.created_at, d.updated_at, d.archived_at, ${AUTHOR_COLUMNS}
  from document d left join "user" u on u.id = d.created_by_id`;

function fromRow(r: DocumentRow): DocumentRecord {
  return {
    id: r.id,
    organizationId: r.organization_id,
    title: r.title,
    body: r.body,
    createdById: r.created_by_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    archivedAt: r.archived_at,
    author: authorOf(r.created_by_id, r),
  };
}

const byId = tenantStatement('document_by_id', `${SELECT} where d.organization_id = $1 and d.id = $2`);

export async function findDocument(sql: TenantSql, id: string): Promise<DocumentRecord | null> {
  const [row] = await sql.rows<DocumentRow>(byId, [id]);
  return row ? fromRow(row) : null;
}

export interface PageQuery {
  first: number;
  after?: [Date, string];
  includeArchived: boolean;
  /** An ILIKE pattern, already escaped. */
  titleLike?: string;
}

// One prepared statement per shape of the query and page size, not one with `$n is null or ...`
// branches (each shape gets a plan that walks the (organization_id, created_at desc, id desc)
// index from the cursor) and with the limit in the text (see textLimit).
function pageStatement(q: PageQuery): TenantStatement {
  const limit = textLimit(q.first + 1); // one more row says whether there is a next page
  const name = `document_page_${q.includeArchived ? 'a' : 'n'}${q.titleLike === undefined ? '' : 't'}${q.after ? 'c' : ''}_${limit}`;
  return tenantStatementVariant(name, () => {
    const where = ['d.organization_id = $1'];
    let n = 1;
    if (!q.includeArchived) where.push('d.archived_at is null');
    if (q.titleLike !== undefined) where.push(`d.title ilike $${++n}`);
    if (q.after) where.push(`(d.created_at, d.id) < ($${++n}, $${++n})`);
    return `${SELECT} where ${where.join(' and ')} order by d.created_at desc, d.id desc limit ${limit}`;
  });
}

/** `first + 1` rows, newest first: the extra row says whether there is a next page. */
export async function findDocumentPage(sql: TenantSql, q: PageQuery): Promise<DocumentRecord[]> {
  const params: unknown[] = [];
  if (q.titleLike !== undefined) params.push(q.titleLike);
  if (q.after) params.push(...q.after);
  const rows = await sql.rows<DocumentRow>(pageStatement(q), params);
  return rows.map(fromRow);
}
