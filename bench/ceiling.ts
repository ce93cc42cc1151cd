import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createPool, env, UUID, verifyBearer, type Tenant } from './candidate.js';

/**
 * The ceiling: plain `node:http` + `pg` + jose, no GraphQL engine and no ORM. It answers the
 * benchmark's operations (picked by `operationName`) with the JSON the API would give,
 * doing the same work the API must do per request: verify the HS256 token exactly as
 * src/auth/tokens.ts does, check the user's membership of the token's organization, read or
 * write with the tenant predicate, and write the audit event the API writes for `document(id)`
 * and `createDocument`. Each request is ONE SQL statement (CTEs), autocommit.
 *
 * It connects as the schema owner (no SET ROLE, so no row-level security): isolation comes from
 * `organization_id = $1` in every statement. This is the ceiling the API is compared against,
 * as in shared/design/performance.md.
 *
 * Env: DATABASE_URL, PORT, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, DB_POOL_MAX.
 */


const pool = createPool();

class ClientError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status = 200,
  ) {
    super(message);
  }
}

// Same encoding as MikroORM's Cursor (base64url of JSON [createdAt, id]), so cursors are interchangeable.
const encodeCursor = (createdAt: Date, id: string) => Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
function decodeCursor(after: string): [Date, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (!Number.isNaN(date.getTime()) && UUID.test(id)) return [date, id];
  } catch {
    /* falls through */
  }
  throw new ClientError('Invalid cursor', 'BAD_USER_INPUT');
}

async function authenticate(header: string | undefined): Promise<Tenant> {
  const tenant = await verifyBearer(header);
  if (!tenant) throw new ClientError('Invalid token.', 'UNAUTHENTICATED', 401);
  return tenant;
}

const forbidden = () => new ClientError('Not a member of this organization.', 'FORBIDDEN');

// Zero rows: not a member. One row per document (or one row of nulls): the page.
const LIST_SQL = `
  select m.role, d.id, d.title, d.created_at, d.created_by_id, u.name as author_name
    from membership m
    left join lateral (
      select d.id, d.title, d.created_at, d.created_by_id
        from document d
       where d.organization_id = m.organization_id and d.archived_at is null
         and ($3::timestamptz is null or (d.created_at, d.id) < ($3::timestamptz, $4::uuid))
       order by d.created_at desc, d.id desc
       limit $5
    ) d on true
    left join "user" u on u.id = d.created_by_id
   where m.organization_id = $1 and m.user_id = $2
   order by d.created_at desc, d.id desc`;

async function listDocuments(c: Tenant, vars: Record<string, unknown>) {
  const first = typeof vars.first === 'number' ? vars.first : 20;
  if (!Number.isInteger(first) || first < 1 || first > 100) throw new ClientError('first must be between 1 and 100.', 'BAD_USER_INPUT');
  const after = typeof vars.after === 'string' ? decodeCursor(vars.after) : null;
  const { rows } = await pool.query(LIST_SQL, [c.organizationId, c.userId, after?.[0] ?? null, after?.[1] ?? null, first + 1]);
  if (rows.length === 0) throw forbidden();
  const docs = rows.filter((r) => r.id !== null);
  const page = docs.slice(0, first);
  const edges = page.map((r) => ({
    cursor: encodeCursor(r.created_at, r.id),
    node: { id: r.id, title: r.title, createdBy: r.created_by_id ? { id: r.created_by_id, name: r.author_name } : null },
  }));
  return { documents: { edges, pageInfo: { hasNextPage: docs.length > first, endCursor: edges.at(-1)?.cursor ?? null } } };
}

// The list with each document's author and its first $3 comments (each with its author), in one
// statement: the comments aggregated per document by a lateral join over the comment index.
const REL_SQL = `
  select m.role, d.id, d.title, d.created_at, d.created_by_id, u.name as author_name, cm.comments
    from membership m
    left join lateral (
      select d.id, d.title, d.created_at, d.created_by_id
        from document d
       where d.organization_id = m.organization_id and d.archived_at is null
       order by d.created_at desc, d.id desc
       limit $4
    ) d on true
    left join "user" u on u.id = d.created_by_id
    left join lateral (
      select json_agg(json_build_object('id', c.id, 'body', c.body,
               'author', case when c.author_id is null then null else json_build_object('id', c.author_id, 'name', cu.name) end)
             order by c.created_at, c.id) as comments
        from (select * from comment
               where organization_id = m.organization_id and document_id = d.id
               order by created_at, id limit $3) c
        left join "user" cu on cu.id = c.author_id
    ) cm on true
   where m.organization_id = $1 and m.user_id = $2
   order by d.created_at desc, d.id desc`;

const REL_COMMENTS = 3; // bench/queries.ts asks for comments(first: 3)

async function listWithComments(c: Tenant, vars: Record<string, unknown>) {
  const first = typeof vars.first === 'number' ? vars.first : 20;
  if (!Number.isInteger(first) || first < 1 || first > 100) throw new ClientError('first must be between 1 and 100.', 'BAD_USER_INPUT');
  const { rows } = await pool.query(REL_SQL, [c.organizationId, c.userId, REL_COMMENTS, first + 1]);
  if (rows.length === 0) throw forbidden();
  const docs = rows.filter((r) => r.id !== null);
  const edges = docs.slice(0, first).map((r) => ({
    node: { id: r.id, title: r.title, createdBy: r.created_by_id ? { id: r.created_by_id, name: r.author_name } : null, comments: r.comments ?? [] },
  }));
  return { documents: { edges, pageInfo: { hasNextPage: docs.length > first } } };
}

// Membership, the read, and the audit event ('document.read' or '.denied', as the API records) in one statement.
const GET_SQL = `
  with m as (select role from membership where organization_id = $1 and user_id = $2),
  d as (
    select d.id, d.title, d.created_by_id, u.name as author_name
      from document d left join "user" u on u.id = d.created_by_id
     where d.id = $3 and d.organization_id = $1 and exists (select from m)
  ),
  audit as (
    insert into activity_event (id, organization_id, actor_id, action, target_type, target_id, request_id)
    select gen_random_uuid(), $1, $2, case when exists (select from d) then 'document.read' else 'document.read.denied' end, 'Document', $3, $4
     where exists (select from m)
  )
  select (select role from m) as role, d.* from (select 1) one left join d on true`;

async function getDocument(c: Tenant, vars: Record<string, unknown>, requestId: string) {
  const id = vars.id;
  if (typeof id !== 'string' || !UUID.test(id)) throw new ClientError('Invalid id.', 'BAD_USER_INPUT');
  const { rows } = await pool.query(GET_SQL, [c.organizationId, c.userId, id.toLowerCase(), requestId]);
  const r = rows[0];
  if (!r?.role) throw forbidden();
  return { document: r.id ? { id: r.id, title: r.title, createdBy: r.created_by_id ? { id: r.created_by_id, name: r.author_name } : null } : null };
}

// Role check (MEMBER and above), the insert and its audit event in one statement.
const CREATE_SQL = `
  with m as (select role from membership where organization_id = $1 and user_id = $2),
  d as (
    insert into document (id, organization_id, title, body, created_by_id)
    select gen_random_uuid(), $1, $3, $4, $2 from m where m.role in ('OWNER', 'ADMIN', 'MEMBER')
    returning id, title, created_by_id
  ),
  audit as (
    insert into activity_event (id, organization_id, actor_id, action, target_type, target_id, request_id)
    select gen_random_uuid(), $1, $2, 'document.create', 'Document', d.id, $5 from d
  )
  select (select role from m) as role, d.id, d.title, d.created_by_id, u.name as author_name
    from (select 1) one left join d on true left join "user" u on u.id = d.created_by_id`;

async function createDocument(c: Tenant, vars: Record<string, unknown>, requestId: string) {
  const input = (vars.input ?? {}) as { title?: unknown; body?: unknown };
  const title = typeof input.title === 'string' ? input.title.trim() : '';
  if (title.length < 1 || title.length > 200) throw new ClientError('title must be 1 to 200 characters.', 'BAD_USER_INPUT');
  const body = typeof input.body === 'string' ? input.body : null;
  const { rows } = await pool.query(CREATE_SQL, [c.organizationId, c.userId, title, body, requestId]);
  const r = rows[0];
  if (!r?.role) throw forbidden();
  if (!r.id) throw new ClientError('Creating documents needs MEMBER.', 'FORBIDDEN');
  return { createDocument: { id: r.id, title: r.title, createdBy: { id: r.created_by_id, name: r.author_name } } };
}

const operations: Record<string, (c: Tenant, vars: Record<string, unknown>, requestId: string) => Promise<unknown>> = {
  List: listDocuments,
  Deep: listDocuments,
  Get: getDocument,
  Create: createDocument,
  Rel: listWithComments,
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

let requestCounter = 0;
const server = createServer(async (req, res) => {
  if (req.url === '/healthz') return send(res, 200, { status: 'ok' });
  if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, { error: 'not found' });
  const requestId = `ceiling-${process.pid}-${++requestCounter}`;
  try {
    const parsed = JSON.parse(await readBody(req)) as { operationName?: string; variables?: Record<string, unknown> };
    const op = parsed.operationName ? operations[parsed.operationName] : undefined;
    if (!op) throw new ClientError('Unknown operation.', 'BAD_REQUEST', 400);
    const claims = await authenticate(req.headers.authorization);
    send(res, 200, { data: await op(claims, parsed.variables ?? {}, requestId) });
  } catch (err) {
    if (err instanceof ClientError) return send(res, err.status, { errors: [{ message: err.message, extensions: { code: err.code, requestId } }] });
    console.error(err);
    send(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
  }
});
server.keepAliveTimeout = 72_000;
server.listen(Number(env('PORT')), '127.0.0.1', () => console.log(`ceiling listening on ${env('PORT')}`));

const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
