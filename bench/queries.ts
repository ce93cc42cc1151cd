import type { SeededData } from './seed.js';

// The benchmark's operations: the same GraphQL body goes to every candidate that speaks this
// API's schema (the ceiling dispatches on operationName); PostGraphile gets the same operations
// in its own generated schema.

/** How many comments each document of the relation query shows. */
export const REL_COMMENTS = 3;

const PAGE = 'edges { cursor node { id title createdBy { id name } } } pageInfo { hasNextPage endCursor }';
export const QUERIES = {
  list: { label: 'documents(first: 20)', operationName: 'List', query: `query List($first: Int) { documents(first: $first) { ${PAGE} } }` },
  deep: { label: 'deep keyset page', operationName: 'Deep', query: `query Deep($first: Int, $after: String) { documents(first: $first, after: $after) { ${PAGE} } }` },
  get: { label: 'document(id)', operationName: 'Get', query: 'query Get($id: ID!) { document(id: $id) { id title createdBy { id name } } }' },
  create: {
    label: 'createDocument',
    operationName: 'Create',
    query: 'mutation Create($input: CreateDocumentInput!) { createDocument(input: $input) { id title createdBy { id name } } }',
  },
  // The N+1 probe: a to-one (author) and a to-many (first 3 comments, each with its author) per
  // document, at three page sizes: statements per request must not grow with the page.
  rel10: relQuery(10),
  rel50: relQuery(50),
  rel100: relQuery(100),
} as const;

function relQuery<N extends number>(pageSize: N) {
  return {
    label: `documents(first: ${pageSize}) + author + ${REL_COMMENTS} comments`,
    operationName: 'Rel',
    pageSize,
    query: `query Rel($first: Int) { documents(first: $first) { edges { node { id title createdBy { id name } comments(first: ${REL_COMMENTS}) { id body author { id name } } } } pageInfo { hasNextPage } } }`,
  };
}
export const isRelQuery = (q: QueryName): q is 'rel10' | 'rel50' | 'rel100' => q === 'rel10' || q === 'rel50' || q === 'rel100';
export type QueryName = keyof typeof QUERIES;
export const QUERY_NAMES = Object.keys(QUERIES) as QueryName[];

// The same four operations in PostGraphile's generated schema (Amber preset: the primary key is
// `rowId`, `id` is its global Node id). The author is reached the way the schema models it:
// document -> membership (composite key) -> user. `condition: { archivedAt: null }` is the API's
// "not archived" (an IS NULL; the peer turns off its indexed-columns-only rule to allow it).
const PEER_AUTHOR = 'membershipByOrganizationIdAndCreatedById { userByUserId { rowId name } }';
export const PEER_ORDER = 'orderBy: [CREATED_AT_DESC, ROW_ID_DESC], condition: { archivedAt: null }';
const PEER_PAGE = `edges { cursor node { rowId title ${PEER_AUTHOR} } } pageInfo { hasNextPage endCursor }`;
const PEER_COMMENTS = `commentsByOrganizationIdAndDocumentId(first: 3, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { nodes { rowId body membershipByOrganizationIdAndAuthorId { userByUserId { rowId name } } } }`;
const PEER_REL = `query Rel($first: Int) { allDocuments(first: $first, ${PEER_ORDER}) { edges { node { rowId title ${PEER_AUTHOR} ${PEER_COMMENTS} } } pageInfo { hasNextPage } } }`;
const PEER_QUERIES: Record<QueryName, string> = {
  list: `query List($first: Int) { allDocuments(first: $first, ${PEER_ORDER}) { ${PEER_PAGE} } }`,
  deep: `query Deep($first: Int, $after: Cursor) { allDocuments(first: $first, after: $after, ${PEER_ORDER}) { ${PEER_PAGE} } }`,
  // The read and its audit event in one statement: the bench-only database function read_document
  // (bench/peer-audit.ts), which PostGraphile exposes as a mutation (it is VOLATILE). The
  // organization comes from the token through pgSettings and RLS, as for every other peer read.
  get: `mutation Get($id: UUID!) { readDocument(input: { rowId: $id }) { result { rowId title ${PEER_AUTHOR} } } }`,
  create: `mutation Create($input: CreateDocumentInput!) { createDocument(input: $input) { document { rowId title ${PEER_AUTHOR} } } }`,
  rel10: PEER_REL,
  rel50: PEER_REL,
  rel100: PEER_REL,
};
/** What the results table must say about the peer (bench/README.md has the long form). */
export const PEER_NOTES = [
  'PostGraphile 5 (Amber preset, `public` schema) runs on Node 22 (the `node@22` package), this API on Node 20 (`api`) and, as `api-node22`, on the same Node 22 binary: compare `api-node22` with the peer for a like-for-like ratio.',
  "The peer's server verifies the same HS256 token with the API's own code (jose, verified tokens remembered until exp), re-checks membership with one SQL statement per request, and passes `role=tenantql_app`, `app.organization_id` and `app.user_id` as `pgSettings`, so the API's forced RLS policies do the isolation.",
  "Same audit work, bench only: for `document(id)` (as the mutation `readDocument`, a VOLATILE SQL function `read_document`: the read and its `activity_event` row, `document.read` or `document.read.denied`, in one statement) and `createDocument` (a BEFORE INSERT trigger on `document`: the MEMBER-or-above role check, refusal as FORBIDDEN, and the `document.create` event in the insert's statement) the peer writes the same audit insert as the API and the ceiling, through a trigger / database function installed in the benchmark database only (bench/peer-audit.ts), running as `tenantql_app` under the same forced RLS and acting only under the setting `bench.peer_audit` that the peer alone passes. The correctness gate checks that one get and one create write exactly one event each, for every candidate.",
  "Its createDocument sends only `{ title, body }`; id, organization and author come from bench-only column defaults (`gen_random_uuid()`, `app.organization_id`, `app.user_id`). Its deep page uses its own cursor for the same anchor row; the correctness gate compares ids, titles, authors and order (and hasNextPage), not raw bodies.",
]
  .map((l) => `- ${l}`)
  .join('\n');

/** The request dialect a candidate speaks: this API's schema (the ceiling mimics it) or PostGraphile's. */
export type Dialect = 'tenantql' | 'postgraphile';

export interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

export function body(dialect: Dialect, q: QueryName, variables: Record<string, unknown>): string {
  const { operationName } = QUERIES[q];
  const query = dialect === 'tenantql' ? QUERIES[q].query : PEER_QUERIES[q];
  return JSON.stringify({ operationName, query, variables });
}

export type Requests = Record<QueryName, PreparedRequest[]>;

/** Headers carrying the token of (user, organization). */
export function authHeaders(tokens: Map<string, string>, userId: string, organizationId: string): Record<string, string> {
  const token = tokens.get(`${organizationId}/${userId}`);
  if (!token) throw new Error(`no token signed for ${organizationId}/${userId}`);
  return { 'content-type': 'application/json', authorization: `Bearer ${token}` };
}

/** What `createDocument` writes: its title tells the benchmark's documents from the seeded ones (bench/hybrid.ts). */
export const CREATE_INPUT = { title: 'Benchmark document', body: 'Written by the benchmark.' } as const;

/**
 * Every request body each query may send, one per token: built once, so the load generator only
 * picks. Entry i of a query uses the same token in both dialects (the gate relies on it).
 * `peerDeepCursor`: PostGraphile's cursor for the same row as `data.big.deepCursor`.
 */
export function prepareRequests(dialect: Dialect, data: SeededData, tokens: Map<string, string>, peerDeepCursor: string | null): Requests {
  const headers = (userId: string, organizationId: string) => authHeaders(tokens, userId, organizationId);
  const deepCursor = dialect === 'tenantql' ? data.big.deepCursor : peerDeepCursor;
  const input = CREATE_INPUT;
  return {
    list: data.tenants.map((t) => ({ headers: headers(t.userId, t.organizationId), body: body(dialect, 'list', { first: 20 }) })),
    deep: data.big.userIds.map((u) => ({ headers: headers(u, data.big.organizationId), body: body(dialect, 'deep', { first: 20, after: deepCursor }) })),
    get: data.tenants.map((t) => ({ headers: headers(t.userId, t.organizationId), body: body(dialect, 'get', { id: t.documentId }) })),
    create: data.tenants.map((t) => ({
      headers: headers(t.userId, t.organizationId),
      // PostGraphile's input wraps the row; organization, author and id come from column defaults the harness adds (see run.ts).
      body: body(dialect, 'create', { input: dialect === 'tenantql' ? input : { document: input } }),
    })),
    rel10: relRequests('rel10'),
    rel50: relRequests('rel50'),
    rel100: relRequests('rel100'),
  };

  function relRequests(q: 'rel10' | 'rel50' | 'rel100'): PreparedRequest[] {
    return data.tenants.map((t) => ({ headers: headers(t.userId, t.organizationId), body: body(dialect, q, { first: QUERIES[q].pageSize }) }));
  }
}
