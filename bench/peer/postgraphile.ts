import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { defaultMaskError } from 'postgraphile/grafserv';
import { GraphQLError, printSchema } from 'postgraphile/graphql';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { createPool, env, verifyBearer, type Tenant } from '../candidate.js';
import { PEER_AUDIT_SETTING, PEER_CREATE_FORBIDDEN, PEER_REQUEST_ID_SETTING } from '../peer-audit.js';

/**
 * The peer: PostGraphile v5 (Amber preset, schema `public` introspected as the owner), served
 * by grafserv on `node:http`. Needs Node >= 22: run with bench/peer's `node@22` binary.
 *
 * Per request, in this server's own code before PostGraphile sees it:
 * - the HS256 token is verified exactly as src/auth/tokens.ts and bench/ceiling.ts do (jose,
 *   same secret, issuer, audience, required claims: bench/candidate.ts);
 * - the membership of (org_id, sub) is re-checked with one SQL statement on the same pool (the
 *   API re-checks membership on every request too; a token of a removed member is refused);
 * - the tenant goes to PostgreSQL through PostGraphile's `pgSettings`: `role = tenantql_app`,
 *   `app.organization_id`, `app.user_id`, so the API's forced row-level security policies do
 *   the isolation (PostGraphile runs `begin; select set_config(...); <query>; commit`).
 *
 * The audit work the API does, done the same way (bench only: bench/peer-audit.ts installs it in
 * the benchmark database, never in the API's migrations): the same audit insert through a trigger /
 * database function, in the statement of the read or the insert, as `tenantql_app` under the same
 * forced RLS. `document(id)` is the mutation `readDocument` (the VOLATILE SQL function
 * `read_document`: the read and its `document.read` / `document.read.denied` event);
 * `createDocument`'s insert fires a BEFORE INSERT trigger that checks the MEMBER-or-above role
 * (refused: SQLSTATE 42501, answered here as FORBIDDEN) and writes the `document.create` event.
 * The trigger acts only under `bench.peer_audit = 'on'`, which this server alone passes in
 * `pgSettings` (with `bench.request_id`, the event's request id), so the API's and the ceiling's
 * inserts into the same table are not audited twice.
 *
 * Env: DATABASE_URL (owner), PORT, JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, DB_POOL_MAX, PEER_SCHEMA_OUT (optional).
 */

// One pool of DB_POOL_MAX connections shared by the membership check and PostGraphile.
const pool = createPool();
const tenants = new WeakMap<IncomingMessage, Tenant>();
let requestCounter = 0;

/**
 * The audit trigger's refusal below MEMBER (SQLSTATE 42501) becomes FORBIDDEN with its message,
 * as the API answers; every other error is masked as grafserv does by default (no SQL leaks).
 */
function maskError(error: GraphQLError): GraphQLError {
  const original = error.originalError as { code?: unknown; message?: unknown } | undefined;
  if (original?.code === '42501' && original.message === PEER_CREATE_FORBIDDEN) {
    return new GraphQLError(PEER_CREATE_FORBIDDEN, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions: { code: 'FORBIDDEN' } });
  }
  return defaultMaskError(error);
}

const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset],
  // By default only indexed columns get `condition`/`orderBy`; the list needs `archivedAt: null`
  // (the API's "not archived"), which the composite index cannot serve either way.
  disablePlugins: ['PgIndexBehaviorsPlugin'],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { graphiql: false, watch: false, graphqlPath: '/graphql', maskError },
  grafast: {
    explain: false,
    context(requestContext) {
      const req = requestContext.node?.req;
      const tenant = req ? tenants.get(req) : undefined;
      // No tenant: no settings, so the serving role is not even assumed; the handler below never lets that through.
      if (!tenant) return {};
      return {
        pgSettings: {
          role: 'tenantql_app',
          'app.organization_id': tenant.organizationId,
          'app.user_id': tenant.userId,
          // The peer's audit parity (bench/peer-audit.ts): its trigger acts only under this setting.
          [PEER_AUDIT_SETTING]: 'on',
          [PEER_REQUEST_ID_SETTING]: `postgraphile-${process.pid}-${++requestCounter}`,
        },
      };
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const handler = serv.createHandler();

function send(res: ServerResponse, status: number, body: unknown) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

const MEMBERSHIP_SQL = 'select role from membership where organization_id = $1 and user_id = $2';

const server = createServer((req, res) => {
  if (req.url === '/healthz') return send(res, 200, { status: 'ok' });
  if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, { error: 'not found' });
  void (async () => {
    const tenant = await verifyBearer(req.headers.authorization);
    if (!tenant) return send(res, 401, { errors: [{ message: 'Invalid token.', extensions: { code: 'UNAUTHENTICATED' } }] });
    const { rows } = await pool.query(MEMBERSHIP_SQL, [tenant.organizationId, tenant.userId]);
    if (rows.length === 0) return send(res, 200, { errors: [{ message: 'Not a member of this organization.', extensions: { code: 'FORBIDDEN' } }] });
    tenants.set(req, tenant);
    handler(req, res);
  })().catch((err: unknown) => {
    console.error(err);
    if (!res.headersSent) send(res, 500, { errors: [{ message: 'Internal server error' }] });
  });
});
server.keepAliveTimeout = 72_000;

// Build the schema before reporting healthy, so the first timed request does not pay for introspection.
const { schema } = await pgl.getSchemaResult();
// The generated schema, for reference (the harness writes it next to the logs).
if (process.env.PEER_SCHEMA_OUT) writeFileSync(process.env.PEER_SCHEMA_OUT, printSchema(schema));
server.listen(Number(env('PORT')), '127.0.0.1', () => console.log(`postgraphile ${process.version} listening on ${env('PORT')}`));

const stop = () => server.close(() => void Promise.resolve(pgl.release()).then(() => pool.end()).then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
