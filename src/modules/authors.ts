import type { UserRecord } from '../graphql/models.js';

// Fixed reads (document.queries.ts, comment.queries.ts) join their author's user row in, so that
// GraphQL's `createdBy` / `author` need no statement of their own.

/** Select-list columns of the author joined as `u`. */
export const AUTHOR_COLUMNS = 'u.email as author_email, u.name as author_name, u.created_at as author_created_at';

export interface AuthorColumns {
  author_email: string | null;
  author_name: string | null;
  author_created_at: Date | null;
}

/** The author of a row, or null when it has none (left the organization: the key is set null). */
export function authorOf(authorId: string | null, row: AuthorColumns): UserRecord | null {
  if (!authorId || row.author_name === null) return null;
  return { id: authorId, email: row.author_email!, name: row.author_name, createdAt: row.author_created_at! };
}
