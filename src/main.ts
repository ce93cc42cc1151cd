import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type AppConfig } from './config/index.js';
import { openDeployment, type Deployment } from './db/deployment.js';
import { EMBEDDED_DATABASE, EmbeddedDatabaseError, startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.js';
import { trustedManifest } from './graphql/trusted-documents/manifest.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics/metrics.js';
import { createMetricsServer } from './metrics/server.js';
import { createServer } from './server.js';
import { storageProvider } from './storage/index.js';
import { StorageRefusal } from './storage/storage-refusal.js';

// The only file that listens: config -> database -> server -> shutdown.

/** How often (ms) to check that the process that started us is still our parent (see below). */
const PARENT_CHECK_MS = 500;

// Variables already set in the environment win over the file.
if (existsSync('.env')) process.loadEnvFile('.env');

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
const logger = createLogger(config);
if (config.jwt.generatedSecret) logger.warn('JWT_SECRET is not set: using a random secret, so tokens stop working when the server restarts.');

let embedded: EmbeddedDatabase | undefined;
let deployment: Deployment | undefined;
let app: Awaited<ReturnType<typeof createServer>> | undefined;
let metricsServer: ReturnType<typeof createMetricsServer> | undefined;

async function stopDatabase() {
  await deployment?.close().catch((err) => logger.error({ err }, 'closing the connection pools failed'));
  await embedded?.stop().catch((err) => logger.error({ err }, 'stopping embedded PostgreSQL failed'));
}

// Listened for from the start, so a signal during start-up also stops what has started (an
// embedded server still starting is stopped by its module's last-resort 'exit' listener).
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, app ? 'shutting down: finishing in-flight requests' : 'shutting down during start-up');
  if (app) {
    const server = app;
    // close() waits for every connection to end; keep-alive clients would hold it open forever,
    // so connections are closed as soon as they fall idle (after their in-flight request).
    const reapIdle = setInterval(() => server.server.closeIdleConnections(), 50);
    // A request still running after the grace period (a slow upload, a client that never ends
    // its body) would hold the process, and its embedded database, for as long as the client
    // likes: its connection is closed then (SHUTDOWN_GRACE_MS), and the shutdown goes on.
    const graceOver = setTimeout(() => {
      logger.warn({ graceMs: config.shutdownGraceMs }, 'shutdown grace period over: closing the connections still open');
      server.server.closeAllConnections();
    }, config.shutdownGraceMs);
    await server.close().catch((err) => logger.error({ err }, 'closing the server failed'));
    clearTimeout(graceOver);
    clearInterval(reapIdle);
  }
  // Scraped until the API has drained, so the last requests are counted.
  await metricsServer?.close().catch((err) => logger.error({ err }, 'closing the metrics listener failed'));
  await stopDatabase();
  logger.info('stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// The terminal closing: without this Node would die at once and leave the embedded server running.
process.on('SIGHUP', () => void shutdown('SIGHUP'));
// `npm start` runs this under `sh -c`, and Debian's sh (dash) does not pass a SIGTERM sent to npm
// on to us: npm and sh exit, and we would keep serving, orphaned, with the embedded server. So a
// change of parent (re-parented to init or a subreaper) is taken as the signal it stands for.
// Started directly under a supervisor, the parent never changes and this never fires.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown('parent exited');
}, PARENT_CHECK_MS).unref();

/** The one sentence for a start-up failure the operator can fix, or undefined for a bug (logged with its stack). */
function operatorRefusal(err: unknown, { host, port: configured }: Pick<AppConfig, 'host' | 'port'>): string | undefined {
  if (err instanceof EmbeddedDatabaseError || err instanceof StorageRefusal) return err.message;
  const { code, port, address } = err as { code?: string; port?: number; address?: string };
  if (code === 'EADDRINUSE') return `${address ?? host}:${port ?? configured} is already in use by another program: stop it, or set PORT (or METRICS_PORT) to a free port.`;
  if (code === 'EACCES' && port !== undefined) return `${address ?? host}:${port} may not be listened on by this user (ports below 1024 need privileges): set PORT to 1024 or above.`;
  return undefined;
}

try {
  // The store first: a deployment whose store cannot be used is refused before any database work.
  const storage = await storageProvider(config.storage, logger);
  let url = config.database.url;
  if (!url) {
    if (config.isProduction) logger.warn('DATABASE_URL is not set: running on the embedded PostgreSQL under DATA_DIR.');
    embedded = await startEmbeddedPostgres({ dataDir: config.database.dataDir, port: config.database.embeddedPort, database: EMBEDDED_DATABASE, logger });
    url = embedded.url;
  }
  // Migrations and start-up checks run as each database's owner, requests as the
  // row-level-security role, on the shared placement and every dedicated one.
  deployment = await openDeployment({ config, logger, sharedUrl: url, embedded: Boolean(embedded) });

  // Prometheus metrics on their own listener (METRICS_PORT), never on the API's: off unless set.
  const metrics = config.metrics.port === undefined ? undefined : createMetrics(trustedManifest().operationNames);
  app = await createServer({ config, orm: deployment.shared, router: deployment.router, logger, metrics, storage });
  await app.listen({ host: config.host, port: config.port });
  if (metrics) {
    metricsServer = createMetricsServer({ metrics, logger });
    await metricsServer.listen({ host: config.host, port: config.metrics.port });
    logger.info(`metrics: GET http://${config.host}:${config.metrics.port}/metrics`);
  }
  logger.info(`tenantql (${config.mode}) ready: POST http://${config.host}:${config.port}/graphql${config.playground ? ' (playground: open it in a browser)' : ''}`);
} catch (err) {
  // Refusals the operator can act on are one sentence: a stack adds nothing.
  const refusal = operatorRefusal(err, config);
  if (refusal) logger.fatal(`start-up failed: ${refusal}`);
  else logger.fatal({ err }, 'start-up failed');
  await stopDatabase();
  process.exit(1);
}
