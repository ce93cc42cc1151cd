import type { DocumentRecord } from '../../graphql/models.js';
import { EVENT_COLUMNS } from '../activity/activity-events.js';
import { AUTHOR_COLUMNS, authorOf, type AuthorColumns } from '../authors.js';
import { tenantStatement, tenantStatementVariant, textLimit, type TenantSql, type TenantStatement } from '../../tenancy/tenant-sql.js';

// The document reads every request makes, as fixed statements (see tenancy/tenant-sql.ts): one
// statement per read, the author joined in, no ORM hydration. `document(id)` and `createDocument`
// write their audit event in the same statement (a data-modifying WITH); the other writes stay on
// the ORM.

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

/** The document's own columns (a row returned by a write has no author joined in). */
function fromOwnColumns(r: Omit<DocumentRow, keyof AuthorColumns>): DocumentRecord {
  return {
    id: r.id,
    organizationId: r.organization_id,
    title: r.title,
    body: r.body,
    createdById: r.created_by_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    archivedAt: r.archived_at,
  };
}

const fromRow = (r: DocumentRow): DocumentRecord => ({ ...fromOwnColumns(r), author: authorOf(r.created_by_id, r) });

const byId = tenantStatement('document_by_id', `${SELECT} where d.organization_id = $1 and d.id = $2`);

export async function findDocument(sql: TenantSql, id: string): Promise<DocumentRecord | null> {
  const [row] = await sql.rows<DocumentRow>(byId, [id]);
  return row ? fromRow(row) : null;
}

// The read and its audit event in one statement: the event says `$4` (read) when the document was
// found, `$9` (denied) when not. Both happen or neither; the read cannot be answered unaudited.
const byIdAudited = tenantStatement(
  'document_by_id_audited',
  `with found as (${SELECT} where d.organization_id = $1 and d.id = $6),
  audit as (insert into activity_event (${EVENT_COLUMNS}) values ($1, $2, $3, case when exists (select from found) then $4 else $9 end, $5, $6, $7, $8))
  select * from found`,
);

/**
 * The document `event` targets (its id: `event[4]`, `$6`), read together with the audit event
 * `event` (eventValues of activity-events.ts, action: the read's), which says `deniedAction`
 * instead when no such document is visible (unknown, or another organization's).
 */
export async function findDocumentAudited(sql: TenantSql, event: unknown[], deniedAction: string): Promise<DocumentRecord | null> {
  const [row] = await sql.rows<DocumentRow>(byIdAudited, [...event, deniedAction]);
  return row ? fromRow(row) : null;
}

// The new row and its audit event in one statement: the document's id, author and time ARE the
// event's target (`$6`), actor (`$3`) and time (`$8`), so the trail cannot name another row.
const insertAudited = tenantStatement(
  'document_insert_audited',
  `with audit as (insert into activity_event (${EVENT_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8))
  insert into document (organization_id, id, created_by_id, title, body, created_at, updated_at) values ($1, $6, $3, $9, $10, $8, $8)
  returning id, organization_id, title, body, created_by_id, created_at, updated_at, archived_at`,
);

/**
 * Inserts a document in the request's organization with its audit event `event` (eventValues of
 * activity-events.ts: its target id is the new document's id, its actor the author). The author
 * is left to GraphQL's `createdBy` (the signed-in user, already loaded with the session).
 */
export async function insertDocumentAudited(sql: TenantSql, event: unknown[], doc: { title: string; body: string | null }): Promise<DocumentRecord> {
  const [row] = await sql.rows<Omit<DocumentRow, keyof AuthorColumns>>(insertAudited, [...event, doc.title, doc.body]);
  return fromOwnColumns(row!);
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
