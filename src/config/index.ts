import { randomBytes } from 'node:crypto';
import { edgeConfig, type EdgeLimits } from './edge.js';
import { envSchema, type RawEnv } from './env-schema.js';
import { mailConfig, type MailConfig } from './mail.js';
import { poolingConfig, type PoolingConfig } from './pooling.js';
import { operationsConfig, type MetricsConfig, type TrustedDocumentsMode } from './operations.js';
import { placementConfig, type PlacementConfig } from './placements.js';
import { rateLimitConfig, type RateLimitConfig } from './rate-limit.js';
import { storageConfig, type StorageConfig } from './storage.js';

export type DeploymentMode = RawEnv['DEPLOYMENT_MODE'];

export interface AppConfig {
  /** 'production' also when NODE_ENV is unset and DEPLOYMENT_MODE is set (see isProduction). */
  nodeEnv: RawEnv['NODE_ENV'];
  /**
   * NODE_ENV=production, or NODE_ENV unset (or blank) with DEPLOYMENT_MODE set: an operator who
   * configured a deployment gets production behaviour without having to remember NODE_ENV.
   */
  isProduction: boolean;
  host: string;
  port: number;
  logLevel: RawEnv['LOG_LEVEL'];
  mode: DeploymentMode;
  /** Single-tenant only: the organization every request acts in. */
  defaultOrganizationId?: string;
  defaultOrganizationName: string;
  database: {
    /** Undefined means: start the embedded PostgreSQL under `dataDir`. */
    url?: string;
    poolMax: number;
    dataDir: string;
    embeddedPort: number;
  } & PoolingConfig;
  /** Dedicated placements (PLACEMENT_<NAME>_URL), routing cache and pool caps (src/tenancy/placement/). */
  placements: PlacementConfig;
  seedDemoData: RawEnv['SEED_DEMO_DATA'];
  jwt: {
    secret: Uint8Array;
    issuer: string;
    audience: string;
    ttlSeconds: number;
    /** True when no secret was configured and a random one was made for this process. */
    generatedSecret: boolean;
  };
  /** GraphQL edge limits, checked before a request executes. */
  limits: EdgeLimits;
  /** Origins allowed cross-origin access (CORS); empty: none. */
  corsOrigins: string[];
  /** Per-organization request budget, login throttling and where their counters live (src/rate-limit/). */
  rateLimit: RateLimitConfig;
  /** Fastify's trustProxy: whose X-Forwarded-For gives the client address (per-address limits). */
  trustProxy: boolean | string;
  /** Outgoing mail: the sender and the transport (outbox files or SMTP; src/mail/). */
  mail: MailConfig;
  /** Document files: the provider, its signing secret, limits and URL lifetime (src/storage/). */
  storage: StorageConfig;
  /**
   * Whether a browser's GET of /graphql gets the GraphiQL playground (src/graphql/playground/):
   * PLAYGROUND_ENABLED, or when it is unset, true outside production; never with
   * TRUSTED_DOCUMENTS=only (it sends free-form queries). Demo sign-in details are never shown in
   * production, whatever this says.
   */
  playground: boolean;
  /** `only`: nothing but the trusted manifest's documents runs (src/graphql/trusted-documents/). */
  trustedDocuments: TrustedDocumentsMode;
  /** The Prometheus listener (src/metrics/); no port: none. */
  metrics: MetricsConfig;
  /** SHUTDOWN_GRACE_MS: how long (ms) a shutdown waits for requests in flight before closing their connections. */
  shutdownGraceMs: number;
  jwks?: {
    url: string;
    issuer: string;
    audience: string;
    orgClaim: string;
    emailClaim: string;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const MIN_SECRET_BYTES = 32;

/**
 * Parses the environment once. Every problem is collected and reported together,
 * so an operator fixes a broken `.env` in one pass. Nothing else reads `process.env`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  // Field by field, so a bad value does not hide the rule violations that follow.
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(envSchema.shape)) {
    const result = field.safeParse(env[key]);
    if (result.success) values[key] = result.data;
    else problems.push(...result.error.issues.map((i) => `${key}: ${i.message}`));
  }
  const e = values as RawEnv; // fields that failed are undefined; the rules below tolerate that
  const isBlank = (v: string | undefined) => v === undefined || v.trim() === '';
  const isProduction = e.NODE_ENV === 'production' || (isBlank(env.NODE_ENV) && !isBlank(env.DEPLOYMENT_MODE));

  if (e.DEPLOYMENT_MODE === 'multi_tenant' && e.ENFORCE_TENANT_ISOLATION === false) {
    problems.push(
      'ENFORCE_TENANT_ISOLATION=false is refused in multi_tenant mode: it would show every organization\'s data to everyone. ' +
        'Use DEPLOYMENT_MODE=single_tenant for a dedicated instance.',
    );
  }
  const invalid = (key: string) => problems.some((p) => p.startsWith(`${key}:`));
  if (e.DEPLOYMENT_MODE === 'single_tenant' && !e.DEFAULT_ORGANIZATION_ID && !invalid('DEFAULT_ORGANIZATION_ID')) {
    problems.push('DEFAULT_ORGANIZATION_ID is required when DEPLOYMENT_MODE=single_tenant (any UUID; the organization is created on first start).');
  }
  if (e.DEPLOYMENT_MODE === 'multi_tenant' && e.CUSTOMER_DATABASE_URL) {
    problems.push('CUSTOMER_DATABASE_URL only applies to DEPLOYMENT_MODE=single_tenant; use DATABASE_URL.');
  }

  let generatedSecret = false;
  let secret: Uint8Array;
  if (e.JWT_SECRET && Buffer.byteLength(e.JWT_SECRET) >= MIN_SECRET_BYTES) {
    secret = new TextEncoder().encode(e.JWT_SECRET);
  } else if (isProduction) {
    problems.push(`JWT_SECRET must be set to at least ${MIN_SECRET_BYTES} bytes in production.`);
    secret = new Uint8Array();
  } else if (e.JWT_SECRET) {
    problems.push(`JWT_SECRET is too short: use at least ${MIN_SECRET_BYTES} bytes (e.g. \`openssl rand -base64 48\`).`);
    secret = new Uint8Array();
  } else {
    secret = randomBytes(48);
    generatedSecret = true;
  }

  const mail = mailConfig(e, problems);
  const storage = storageConfig(e, { secret, generatedSecret }, problems);
  const operations = operationsConfig(e, problems);
  const placements = placementConfig(env, e, problems);
  const singleTenant = e.DEPLOYMENT_MODE === 'single_tenant';
  const ownerUrl = (singleTenant ? e.CUSTOMER_DATABASE_URL : undefined) ?? e.DATABASE_URL;
  const pooling = poolingConfig({ ...e, ownerUrl }, problems);

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    nodeEnv: isProduction ? 'production' : e.NODE_ENV,
    isProduction,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    mode: e.DEPLOYMENT_MODE,
    defaultOrganizationId: singleTenant ? e.DEFAULT_ORGANIZATION_ID : undefined,
    defaultOrganizationName: e.DEFAULT_ORGANIZATION_NAME,
    database: {
      url: ownerUrl,
      poolMax: e.DB_POOL_MAX,
      dataDir: e.DATA_DIR,
      embeddedPort: e.EMBEDDED_PG_PORT,
      ...pooling,
    },
    placements,
    seedDemoData: e.SEED_DEMO_DATA,
    jwt: {
      secret,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      ttlSeconds: e.JWT_TTL_SECONDS,
      generatedSecret,
    },
    ...edgeConfig(e),
    ...rateLimitConfig(e),
    mail,
    storage,
    // PLAYGROUND_ENABLED=true with `only` is refused above (operationsConfig); unset, `only` turns it off.
    playground: (e.PLAYGROUND_ENABLED ?? !isProduction) && operations.trustedDocuments !== 'only',
    ...operations,
    jwks: e.JWKS_URL
      ? {
          url: e.JWKS_URL,
          issuer: e.JWKS_ISSUER ?? e.JWT_ISSUER,
          audience: e.JWKS_AUDIENCE ?? e.JWT_AUDIENCE,
          orgClaim: e.JWKS_ORG_CLAIM,
          emailClaim: e.JWKS_EMAIL_CLAIM,
        }
      : undefined,
  };
}
