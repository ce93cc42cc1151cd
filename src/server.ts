import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/authenticate.js';
import type { AppConfig } from './config/index.js';
import { tenantFilteredEntities } from './db/entities/index.js';
import type { Orm } from './db/orm.js';
import { buildContext, type GraphQLContext } from './graphql/context.js';
import { maskError, placementRefusal } from './graphql/errors.js';
import { registerCors } from './graphql/limits/cors.js';
import { edgeLimits } from './graphql/limits/limits.js';
import { createPlayground } from './graphql/playground/index.js';
import { alreadyLogged, errorLogPlugin, logContextFailure, withRequestIdInErrors } from './graphql/request-errors.js';
import { buildSchema } from './graphql/schema.js';
import { createMailer } from './mail/mailer.js';
import { createStorage, type StorageProvider } from './storage/index.js';
import { startFileSweeps } from './modules/file/file-sweep.js';
import { registerGraphQLMetrics, rateLimitMetricsPlugin } from './metrics/graphql-metrics.js';
import type { Metrics } from './metrics/metrics.js';
import { poolStatsOf } from './db/pool-stats.js';
import { requestLogPlugin } from './graphql/request-log.js';
import { retryStatusPlugin } from './graphql/retry-status.js';
import { registerTrustedDocuments } from './graphql/trusted-documents/gate.js';
import { trustedManifest } from './graphql/trusted-documents/manifest.js';
import { createRateLimits } from './rate-limit/index.js';
import { typeEntities } from './graphql/type-entities.js';
import { servingRoleProblems } from './db/serving-role.js';
import { sessionPoolingProblems } from './db/session-pooling-check.js';
import { tenantTableProblems } from './db/tenant-table-check.js';
import { servePlacements } from './db/deployment.js';
import { SHARED_PLACEMENT } from './tenancy/placement/placement-name.js';
import type { TenantRouter } from './tenancy/placement/tenant-router.js';
import { closeRequestTransaction, requestTransactionPlugin } from './tenancy/request-transaction.js';
import { TenancyCheckError, tenancyProblems } from './tenancy/startup-check.js';
import { clientErrorHandler, routeNotFound } from './http-refusals.js';

export interface ServerDeps {
  config: AppConfig;
  /** The shared placement's serving ORM (connections run as the row-level-security role; see src/db/serving-role.ts). */
  orm: Orm;
  /**
   * Routes requests to their organization's placement (src/db/deployment.ts builds it with `orm`
   * as the shared placement). Absent: one is built here over `orm` and PLACEMENT_<NAME>_URL, and
   * closed with the server.
   */
  router?: TenantRouter;
  logger: Logger;
  /** Tests pass their own SDL to prove the start-up check refuses it. */
  typeDefs?: string[];
  /** Where requests, errors, rate-limit refusals and the pool are recorded (src/metrics/); none: nothing is. */
  metrics?: Metrics;
  /** The file store, already opened and checked (main.ts does so before any database work); absent: opened here. */
  storage?: StorageProvider;
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** Builds the HTTP server; does not listen. main.ts and the tests both use it. */
export async function createServer({ config, orm, logger, typeDefs, metrics, router: givenRouter, storage: givenStorage }: ServerDeps): Promise<FastifyInstance> {
  const schema = buildSchema(typeDefs);
  const problems = tenancyProblems(
    schema,
    orm.getMetadata(),
    tenantFilteredEntities.map((e) => e.meta.className),
    typeEntities,
  );
  if (problems.length > 0) throw new TenancyCheckError(problems);
  // Row-level security on every tenant-owned table: refused in every mode (src/db/tenant-table-check.ts).
  const tableProblems = await tenantTableProblems(orm);
  if (tableProblems.length > 0) throw new TenancyCheckError(tableProblems);
  const roleProblems = await servingRoleProblems(orm);
  if (roleProblems.length > 0) {
    if (config.isProduction) throw new TenancyCheckError(roleProblems);
    logger.warn({ problems: roleProblems }, 'row-level security is NOT enforced for requests');
  }
  // Refused in every mode: it is a misconfiguration, never a development convenience.
  const poolingProblems = await sessionPoolingProblems(orm, config.database.poolMode);
  if (poolingProblems.length > 0) throw new TenancyCheckError(poolingProblems);

  const ownDeployment = givenRouter ? undefined : await servePlacements(orm, { config, logger, embedded: false });
  const router = givenRouter ?? ownDeployment!.router;

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Honour a caller's request id only when it is safe to log and echo.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: config.limits.maxBodyBytes,
    // request.ip is the client's address only behind proxies named here (per-address rate limits).
    trustProxy: config.trustProxy,
    // Requests Node cannot parse get the API's error shape too (src/http-refusals.ts).
    clientErrorHandler,
  });
  await registerCors(app, config.corsOrigins);
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return withRequestIdInErrors(request, reply, payload);
  });
  // Documents named by id (the trusted manifest), before Apollo parses anything; TRUSTED_DOCUMENTS=only refuses free text.
  registerTrustedDocuments(app, { manifest: trustedManifest(), mode: config.trustedDocuments });
  if (metrics) {
    registerGraphQLMetrics(app, metrics);
    metrics.observePool(poolStatsOf(orm, config.database.poolMax));
  }
  // The pools of dedicated placements built here (not the shared one: it is the caller's).
  if (ownDeployment) app.addHook('onClose', () => router.pools.close());
  // However a request ended, its database transaction does not outlive it.
  app.addHook('onResponse', closeRequestTransaction);
  app.addHook('onRequestAbort', closeRequestTransaction);

  // Per-organization request budget and login throttling (src/rate-limit/), in memory or Redis.
  const rateLimits = await createRateLimits(config.rateLimit, logger);
  app.addHook('onClose', () => rateLimits.close());
  // Sign-up and invitation emails, sent in the background; shutdown waits for those queued.
  const mailer = createMailer(config.mail, logger, { development: config.nodeEnv === 'development' });
  app.addHook('onClose', () => mailer.close());
  if (config.isProduction && config.mail.transport.kind === 'outbox') {
    logger.warn({ dir: config.mail.transport.dir }, 'SMTP_URL is not set: sign-up and invitation emails are written to the outbox directory, not delivered');
  }

  // GraphiQL from this server's own files (src/graphql/playground/); off in production unless
  // PLAYGROUND_ENABLED, and off with TRUSTED_DOCUMENTS=only (it sends free-form queries).
  const playground = await createPlayground(config, orm, logger);
  if (!config.isProduction && config.trustedDocuments === 'only') logger.warn('TRUSTED_DOCUMENTS=only: the playground is off (it sends free-form queries, which are refused)');
  const limits = edgeLimits(config.limits); // depth, aliases, tokens, cost: refused before execution
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    logger,
    parseOptions: limits.parseOptions,
    validationRules: limits.validationRules,
    allowBatchedHttpRequests: false, // Apollo's default, stated so that it stays off
    // Automatic persisted queries are on by default with one cache for every caller: a hash
    // answered PERSISTED_QUERY_NOT_FOUND or not would tell anyone what another tenant sent.
    // It also kept a bad `persistedQuery` extension (wrong version or hash) from ending as an error
    // without a code (INTERNAL_SERVER_ERROR to clients); off, it is PERSISTED_QUERY_NOT_SUPPORTED.
    persistedQueries: false,
    introspection: !config.isProduction,
    hideSchemaDetailsFromClientErrors: config.isProduction,
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => maskError(formatted, error, (err) => alreadyLogged(err) || logger.error({ err }, 'unexpected error in a GraphQL request')),
    plugins: [
      fastifyApolloDrainPlugin(app),
      errorLogPlugin(),
      requestLogPlugin(), // organizationId and operationName on the request's log lines
      ...(metrics ? [rateLimitMetricsPlugin(metrics)] : []),
      ...limits.plugins,
      ...rateLimits.plugins, // charges the edge's verdict; order-independent (src/graphql/limits/request-verdict.ts)
      requestTransactionPlugin(),
      retryStatusPlugin(), // SERVICE_UNAVAILABLE / TENANT_MOVING: HTTP 503 + Retry-After, however raised
      // No cache hints are declared; the default cache-control plugin would still wrap every field.
      ApolloServerPluginCacheControlDisabled(),
      playground?.landingPage ?? ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  // Before the Apollo plugin: routes keep the error handler in force when they are registered.
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    // The client closed its connection (gave up on a slow upload, or shutdown's grace period
    // ended it): not a server fault, and no one is left to answer. Its stream's "aborted"
    // (ECONNRESET) is no database failure either.
    if (request.raw.destroyed && request.socket.destroyed) {
      request.log.info({ reason: error.message }, 'client went away before its request ended');
      return reply.code(400).send({ errors: [{ message: 'The connection closed before the request ended.', extensions: { code: 'BAD_REQUEST', requestId: request.id } }] });
    }
    // A database outage on a non-GraphQL route (signed file URLs): 503 + Retry-After, as in GraphQL.
    const refusal = placementRefusal(error);
    if (refusal) {
      request.log.warn({ err: error }, 'request refused: retry later');
      return reply
        .code(503)
        .header('retry-after', String(refusal.retryAfterSeconds))
        .send({ errors: [{ message: refusal.message, extensions: { code: refusal.extensions.code, retryAfter: refusal.retryAfterSeconds, requestId: request.id } }] });
    }
    // Fastify's own 4xx (bad JSON, body too large) keep their message; anything else is masked.
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'unexpected error');
    return reply.code(status).send({
      errors: [{ message: status === 500 ? 'Internal server error' : error.message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST', requestId: request.id } }],
    });
  });

  app.setNotFoundHandler(routeNotFound);

  // Document files (src/storage/): after the error handler, so its routes keep it.
  const storage = await createStorage(config.storage, app, givenStorage);
  // Abandoned uploads and the objects of deleted files (src/modules/file/file-sweep.ts); stopped
  // before the pools close (preClose runs before every onClose).
  const sweeps = startFileSweeps(router.pools, storage, config.storage, logger);
  app.addHook('preClose', () => sweeps.stop());

  const authenticate = createAuthenticator(config);
  const { loginThrottle, signUpThrottle, invitationThrottle } = rateLimits;
  const throttles = { loginThrottle, signUpThrottle, invitationThrottle };
  await app.register(fastifyApollo(apollo), {
    context: (request) => logContextFailure(request, buildContext({ config, router, authenticate, mailer, storage, ...throttles }, request).catch((err: unknown) => {
      // A database that cannot be reached while the context is built (the token's user looked
      // up on the shared database, say): 503 + Retry-After, as Apollo answers a context error
      // with the thrown error's own status and no plugin runs to set it.
      const refusal = placementRefusal(err);
      if (!refusal || refusal === err) throw err;
      request.log.warn({ err }, 'database unavailable while building the request context: answered 503');
      throw refusal;
    })),
  });

  playground?.registerRoutes(app);
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Ready when the shared database answers (sign-in, routing); each placement is reported, and
  // one that is down does not make the instance unready: it affects only its own organizations.
  app.get('/readyz', async (_request, reply) => {
    const placements = await router.pools.status();
    const ok = placements.find((p) => p.name === SHARED_PLACEMENT)?.status === 'ready';
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ready' : 'database unreachable',
      placements: placements.map(({ name, status }) => ({ name, status })),
    });
  });
  return app;
}
