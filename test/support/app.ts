import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig, type AppConfig } from '../../src/config/index.js';
import { prepareDatabase } from '../../src/db/bootstrap.js';
import { servePlacements } from '../../src/db/deployment.js';
import { connectOrm, type Orm } from '../../src/db/orm.js';
import { claimPlacementIdentity } from '../../src/db/placement-database.js';
import { SHARED_PLACEMENT } from '../../src/tenancy/placement/placement-name.js';
import type { TenantRouter } from '../../src/tenancy/placement/tenant-router.js';
import { servingConnection } from '../../src/db/serving-connection.js';
import type { Metrics } from '../../src/metrics/metrics.js';
import { createServer } from '../../src/server.js';
import { createTestDatabase } from './database.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-bytes-long!!';

export interface TestApp {
  url: string;
  graphqlUrl: string;
  databaseUrl: string;
  config: AppConfig;
  /** The owner's ORM (no row-level security): for factories and for checking what is stored. */
  orm: Orm;
  /** The ORM the server uses: its connections run as the row-level-security role. */
  serving: Orm;
  /** Routes organizations to placements (the directory and every placement's pool). */
  router: TenantRouter;
  /** Dedicated placements (opts.placements): name -> database URL. */
  placementUrls: Record<string, string>;
  /** The owner's ORM of each dedicated placement (no row-level security): for factories and checks. */
  placementOwners: Record<string, Orm>;
  /** Where createOrg puts the next organization: `shared` without dedicated placements, else each placement in turn. */
  nextPlacement(): string;
  /** The database URL of a placement (`shared`: databaseUrl). */
  databaseUrlOf(placement: string): string;
  /** Every placement's database URL, the shared one first: for checks that must find a row wherever it is. */
  databaseUrls(): string[];
  server: FastifyInstance;
  /** Where the server's outbox writes its emails (a fresh directory; see support/mail.ts). */
  outboxDir: string;
  close(): Promise<void>;
}

/**
 * The real server on a loopback port, over a real database: the same createServer() that
 * main.ts uses, with configuration parsed from an env object exactly as in production.
 */
export async function startApp(
  env: Record<string, string> = {},
  databaseUrl?: string,
  /** logStream: where the server's log lines go (as JSON), for tests that read them; set LOG_LEVEL too. metrics: what the server records into. */
  /** placements: dedicated placements, each a fresh test database, or a given URL (a proxy in front of one, say). */
  opts: { logStream?: pino.DestinationStream; metrics?: Metrics; placements?: (string | { name: string; url: string })[] } = {},
): Promise<TestApp> {
  const dbUrl = databaseUrl ?? (await createTestDatabase());
  // Dedicated placements: a fresh database each, named by PLACEMENT_<NAME>_URL as an operator would.
  const placementUrls = Object.fromEntries(
    await Promise.all((opts.placements ?? []).map(async (p) => (typeof p === 'string' ? ([p, await createTestDatabase()] as const) : ([p.name, p.url] as const)))),
  );
  const placementEnv = Object.fromEntries(Object.entries(placementUrls).map(([name, url]) => [`PLACEMENT_${name.toUpperCase()}_URL`, url]));
  const outboxDir = await mkdtemp(join(tmpdir(), 'tenantql-outbox-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    DATABASE_URL: dbUrl,
    SEED_DEMO_DATA: 'false',
    MAIL_OUTBOX_DIR: outboxDir,
    STORAGE_LOCAL_DIR: join(outboxDir, 'files'),
    // Every test file signs up and signs in from 127.0.0.1 (each sign-up or sign-in costs 100
    // points of the address's budget): the sign-up limits and the budgets are tested on their own.
    RATE_LIMIT_ANONYMOUS_POINTS: '1000000',
    SIGNUP_MAX_PER_IP: '100000',
    SIGNUP_MAX_PER_EMAIL: '10000',
    ...placementEnv,
    ...env,
  });
  const logger = opts.logStream ? pino({ level: config.logLevel }, opts.logStream) : pino({ level: config.logLevel });
  const orm = await connectOrm({ clientUrl: config.database.url!, mode: config.mode, poolMax: 2 });
  await prepareDatabase(orm, config, logger, { embedded: false });
  // The shared placement is prepared above (with the owner ORM the tests keep); dedicated ones by servePlacements.
  await claimPlacementIdentity(orm, SHARED_PLACEMENT);
  // Connected as main.ts connects it: its own login (DATABASE_SERVING_URL) or the owner's plus SET ROLE.
  const serving = await connectOrm({ ...servingConnection(config.database, config.database.url!), mode: config.mode, poolMax: config.database.poolMax, logger });
  const deployment = await servePlacements(serving, { config, logger, embedded: false });
  const server = await createServer({ config, orm: serving, router: deployment.router, logger, metrics: opts.metrics });
  const placementOwners: Record<string, Orm> = {};
  for (const [name, url] of Object.entries(placementUrls)) placementOwners[name] = await connectOrm({ clientUrl: url, mode: config.mode, poolMax: 2 });
  let placed = 0;
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    graphqlUrl: `${address}/graphql`,
    databaseUrl: config.database.url!,
    config,
    orm,
    serving,
    router: deployment.router,
    placementUrls,
    placementOwners,
    // Dedicated placements first, then shared, in turn: two organizations made by a test land on different databases.
    nextPlacement: () => {
      const names = [...Object.keys(placementUrls), SHARED_PLACEMENT];
      return names[placed++ % names.length]!;
    },
    databaseUrlOf: (placement) => (placement === SHARED_PLACEMENT ? config.database.url! : placementUrls[placement]!),
    databaseUrls: () => [config.database.url!, ...Object.values(placementUrls)],
    server,
    outboxDir,
    close: async () => {
      // As main.ts shuts down: a response that finishes just after close() began (a download the
      // test has already read) leaves a keep-alive connection that close() would wait for until
      // its keepAliveTimeout (72 s); closed as soon as it falls idle.
      const reapIdle = setInterval(() => server.server.closeIdleConnections(), 50);
      await server.close().finally(() => clearInterval(reapIdle));
      await deployment.close();
      await Promise.all(Object.values(placementOwners).map((o) => o.close()));
      await orm.close();
      await rm(outboxDir, { recursive: true, force: true });
    },
  };
}
