import { z } from 'zod';
import { edgeEnvSchema } from './edge.js';
import { mailEnvSchema } from './mail.js';
import { operationsEnvSchema } from './operations.js';
import { placementEnvSchema } from './placements.js';
import { poolingEnvSchema } from './pooling.js';
import { rateLimitEnvSchema } from './rate-limit.js';
import { storageEnvSchema } from './storage.js';

// Every variable the service reads. `.env.example` documents each one; keep the two in step.

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const emptyAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const optionalUrl = z.preprocess(emptyAsUndefined, z.url({ message: 'must be a URL' }).optional());

const postgresUrl = z.preprocess(
  emptyAsUndefined,
  z.string().regex(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' }).optional(),
);

export const envSchema = z.object({
  // Blank counts as unset: with DEPLOYMENT_MODE set, unset means production (see loadConfig).
  NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('development')),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DEPLOYMENT_MODE: z.enum(['multi_tenant', 'single_tenant']).default('multi_tenant'),
  ENFORCE_TENANT_ISOLATION: bool.default(true),
  DEFAULT_ORGANIZATION_ID: z.preprocess(emptyAsUndefined, z.uuid({ message: 'must be a UUID' }).optional()),
  DEFAULT_ORGANIZATION_NAME: z.string().min(1).max(100).default('My Organization'),

  DATABASE_URL: postgresUrl,
  CUSTOMER_DATABASE_URL: postgresUrl,
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  // Behind pgbouncer: DB_POOL_MODE, DATABASE_SERVING_URL (pooling.ts).
  ...poolingEnvSchema,
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(5454),
  SEED_DEMO_DATA: z.enum(['auto', 'true', 'false']).default('auto'),

  JWT_SECRET: z.preprocess(emptyAsUndefined, z.string().optional()),
  JWT_ISSUER: z.string().min(1).default('tenantql'),
  JWT_AUDIENCE: z.string().min(1).default('tenantql-api'),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(60 * 60 * 24 * 30).default(3600),

  JWKS_URL: optionalUrl,
  JWKS_ISSUER: z.preprocess(emptyAsUndefined, z.string().optional()),
  JWKS_AUDIENCE: z.preprocess(emptyAsUndefined, z.string().optional()),
  JWKS_ORG_CLAIM: z.string().min(1).default('org_id'),
  JWKS_EMAIL_CLAIM: z.string().min(1).default('email'),

  // Unset: the playground is served outside production only (see AppConfig.playground).
  PLAYGROUND_ENABLED: z.preprocess(emptyAsUndefined, bool.optional()),

  // GraphQL edge: MAX_QUERY_DEPTH, MAX_ALIASES, MAX_TOKENS, MAX_QUERY_COST, MAX_BODY_BYTES, CORS_ORIGINS.
  ...edgeEnvSchema,

  // Rate limits and throttling: RATE_LIMIT_*, LOGIN_*, SIGNUP_*, INVITATIONS_*, REDIS_URL, REDIS_KEY_PREFIX, TRUST_PROXY.
  ...rateLimitEnvSchema,

  // Outgoing mail: MAIL_FROM, SMTP_URL, MAIL_OUTBOX_DIR.
  ...mailEnvSchema,

  // Trusted documents and the metrics listener: TRUSTED_DOCUMENTS, METRICS_PORT.
  ...operationsEnvSchema,
  ...placementEnvSchema,

  // Document files: STORAGE_PROVIDER, STORAGE_LOCAL_DIR, STORAGE_SIGNING_SECRET, limits, URL lifetime.
  ...storageEnvSchema,
});

export type RawEnv = z.infer<typeof envSchema>;
