import type { Candidate } from './processes.js';
import { isRelQuery, QUERIES, type Dialect, type PreparedRequest, type QueryName, type Requests } from './queries.js';

// The correctness gate, run before anything is timed: every candidate answers the same request
// (same token) with the same data.

export interface GraphQLResponse {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

export async function post(url: string, req: PreparedRequest): Promise<{ status: number; json: GraphQLResponse }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: req.headers, body: req.body });
  return { status: res.status, json: (await res.json()) as GraphQLResponse };
}

/** createDocument answers a fresh id each time: compare everything but the id, and check it is a uuid. */
const freshId = (id: unknown) => (typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id) ? '<uuid>' : id);

/** Same-dialect comparison (ceiling vs this API): the whole `data`, cursors included. */
function normalise(q: QueryName, json: GraphQLResponse): unknown {
  if (q !== 'create') return json.data;
  const doc = (json.data?.createDocument ?? null) as { id?: string } | null;
  return doc ? { ...doc, id: freshId(doc.id) } : doc;
}

interface CanonicalDocument {
  id: unknown;
  title: unknown;
  author: { id: unknown; name: unknown } | null;
  comments?: { id: unknown; body: unknown; author: { id: unknown; name: unknown } | null }[];
}

type Person = { id?: unknown; rowId?: unknown; name: unknown } | null | undefined;
const person = (p: Person) => (p ? { id: p.rowId ?? p.id, name: p.name } : null);
const peerPerson = (m: unknown) => person((m as { userByUserId?: Person } | null)?.userByUserId);

/**
 * Cross-dialect comparison: the data both schemas carry, in order (document ids, titles,
 * author ids and names, hasNextPage). Cursors differ by design (each engine's own encoding).
 */
function canonical(dialect: Dialect, q: QueryName, json: GraphQLResponse): unknown {
  type Node = Record<string, unknown>;
  const doc = (n: Node | null | undefined): CanonicalDocument | null => {
    if (!n) return null;
    const author =
      dialect === 'tenantql'
        ? (n.createdBy as { id: unknown; name: unknown } | null)
        : ((n.membershipByOrganizationIdAndCreatedById as { userByUserId?: { rowId: unknown; name: unknown } | null } | null)?.userByUserId ?? null);
    const authorId = author && ('rowId' in author ? author.rowId : author.id);
    const out: CanonicalDocument = { id: dialect === 'tenantql' ? n.id : n.rowId, title: n.title, author: author ? { id: authorId, name: author.name } : null };
    if (dialect === 'tenantql' && 'comments' in n) {
      out.comments = (n.comments as { id: unknown; body: unknown; author: Person }[]).map((c) => ({ id: c.id, body: c.body, author: person(c.author) }));
    }
    if (dialect === 'postgraphile' && 'commentsByOrganizationIdAndDocumentId' in n) {
      const nodes = (n.commentsByOrganizationIdAndDocumentId as { nodes: { rowId: unknown; body: unknown; membershipByOrganizationIdAndAuthorId: unknown }[] }).nodes;
      out.comments = nodes.map((c) => ({ id: c.rowId, body: c.body, author: peerPerson(c.membershipByOrganizationIdAndAuthorId) }));
    }
    return out;
  };
  const d = json.data ?? {};
  if (q === 'list' || q === 'deep' || isRelQuery(q)) {
    const conn = (dialect === 'tenantql' ? d.documents : d.allDocuments) as { edges?: { node: Node }[]; pageInfo?: { hasNextPage?: unknown } } | null | undefined;
    return conn ? { documents: conn.edges?.map((e) => doc(e.node)), hasNextPage: conn.pageInfo?.hasNextPage } : null;
  }
  if (q === 'get') return doc((dialect === 'tenantql' ? d.document : (d.readDocument as { result?: Node } | null)?.result) as Node | null);
  const created = doc((dialect === 'tenantql' ? d.createDocument : (d.createDocument as { document?: Node } | null)?.document) as Node | null);
  return created ? { ...created, id: freshId(created.id) } : null;
}

/** The audit event each audited query must write (the API's actions; the ceiling and the peer write the same). */
export const AUDITED_ACTIONS: Partial<Record<QueryName, string>> = { get: 'document.read', create: 'document.create' };

/** An organization's audit events as one candidate's database holds them: all of them, and those with one action. */
export interface AuditCount {
  total: number;
  action: number;
}

/** How the gate counts audit events: where `candidate` keeps `organizationId`'s, and whose request `i` of `q` is. */
export interface AuditCheck {
  count(candidate: Candidate, organizationId: string, action: string): Promise<AuditCount>;
  organizationOf(q: QueryName, i: number): string;
}

/**
 * For the first `sample` requests of each query: every candidate must answer HTTP 200 without
 * `errors`, and the same data as the first candidate (the ceiling). `create` runs after the
 * reading queries. With `audit`, the first request of each audited query (AUDITED_ACTIONS) must
 * also write exactly one `activity_event` row of the requesting organization, with that action,
 * for every candidate: counted before and after it (nothing else runs meanwhile). Returns the
 * problems found.
 */
export async function correctnessGate(
  candidates: Candidate[],
  requests: Record<Dialect, Partial<Requests>>,
  queries: QueryName[],
  sample: number,
  audit?: AuditCheck,
): Promise<string[]> {
  const problems: string[] = [];
  // The writing query last: api-hybrid writes to copies of the benchmark database (bench/hybrid.ts),
  // so after every candidate's createDocument the others' newest documents are not its own.
  for (const q of [...queries.filter((q) => q !== 'create'), ...queries.filter((q) => q === 'create')]) {
    const n = Math.min(sample, requests.tenantql[q]?.length ?? 0);
    for (let i = 0; i < n; i++) {
      const answers: { name: string; dialect: Dialect; raw: unknown; canonical: unknown }[] = [];
      const action = AUDITED_ACTIONS[q];
      const auditing = audit && action && i === 0 ? { audit, action, organizationId: audit.organizationOf(q, i) } : null;
      for (const c of candidates) {
        const before = auditing && (await auditing.audit.count(c, auditing.organizationId, auditing.action));
        const { status, json } = await post(c.url, requests[c.dialect][q]![i]!);
        if (status !== 200 || json.errors?.length) problems.push(`${c.name} ${q} #${i}: HTTP ${status} ${JSON.stringify(json).slice(0, 300)}`);
        if (auditing && before) {
          const after = await auditing.audit.count(c, auditing.organizationId, auditing.action);
          const [total, matching] = [after.total - before.total, after.action - before.action];
          if (total !== 1 || matching !== 1) problems.push(`${c.name} ${q} #${i}: expected exactly one '${auditing.action}' audit event of organization ${auditing.organizationId}, got ${total} event(s), ${matching} of them '${auditing.action}'`);
        }
        answers.push({ name: c.name, dialect: c.dialect, raw: normalise(q, json), canonical: canonical(c.dialect, q, json) });
      }
      const ref = answers[0]!; // the ceiling
      for (const a of answers.slice(1)) {
        // Same dialect: byte-for-byte (cursors and all); other dialect: the normalised data.
        const [mine, theirs] = a.dialect === ref.dialect ? [a.raw, ref.raw] : [a.canonical, ref.canonical];
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
          problems.push(`${q} #${i}: ${a.name} differs from ${ref.name}${a.dialect === ref.dialect ? '' : ' (normalised)'}:\n  ${ref.name}: ${JSON.stringify(theirs).slice(0, 400)}\n  ${a.name}: ${JSON.stringify(mine).slice(0, 400)}`);
        }
      }
      const data = ref.canonical as { documents?: unknown[] } | null;
      if ((q === 'list' || q === 'deep') && !(data?.documents?.length === 20)) problems.push(`${q} #${i}: expected 20 edges`);
      if (q === 'get' && !data) problems.push(`get #${i}: expected a document`);
      if (isRelQuery(q)) {
        const rel = ref.canonical as { documents?: CanonicalDocument[]; hasNextPage?: unknown } | null;
        const size = QUERIES[q].pageSize;
        const n = rel?.documents?.length ?? 0;
        if (n === 0 || n > size || (n < size && rel?.hasNextPage !== false)) problems.push(`${q} #${i}: expected ${size} edges (fewer only on the last page), got ${n}`);
        if (!rel?.documents?.some((d) => (d.comments?.length ?? 0) > 0)) problems.push(`${q} #${i}: expected comments (seeded with commentsPerDocument)`);
      }
    }
  }
  return problems;
}
