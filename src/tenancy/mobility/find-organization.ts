import { isUuid } from '../organization-id.js';
import { withOwner } from './owner-connection.js';

/**
 * The id of the organization an operator named by id or slug, read from the directory (the shared
 * database at `sharedUrl`, as its owner); undefined when there is none. Erased organizations are
 * found too (by id; their slug is replaced).
 */
export async function findOrganization(sharedUrl: string, idOrSlug: string): Promise<string | undefined> {
  return withOwner(sharedUrl, async (shared) => {
    const byId = isUuid(idOrSlug);
    const { rows } = await shared.query<{ id: string }>(`select "id" from "organization" where ${byId ? '"id"' : '"slug"'} = $1`, [idOrSlug.toLowerCase()]);
    return rows[0]?.id;
  });
}
