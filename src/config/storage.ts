import { hkdfSync } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { azureStorageConfig, azureStorageEnvSchema, type AzureStorageConfig } from './storage-azure.js';
import { s3Config, s3EnvSchema, type S3Config } from './storage-s3.js';

// Document files (src/storage/): which provider stores them, the limits, and how signed URLs are
// made. Spread into envSchema (env-schema.ts); `.env.example` documents each variable.

const blankAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const positiveInt = (message: string) => z.coerce.number({ message }).int({ message }).min(1, { message });

/** Providers this code knows, all built: local disk, S3 (or S3-compatible) and Azure Blob. */
const PROVIDERS = ['local', 'aws_s3', 'azure'] as const;

/** A media type as `type/subtype` (RFC 6838, 4.2: restricted names), lower case, no parameters. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

export const DEFAULT_ALLOWED_CONTENT_TYPES = [
  'application/pdf', 'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'text/plain', 'text/csv', 'application/zip',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
];

export const storageEnvSchema = {
  /** `local` (default), `aws_s3` or `azure`. */
  STORAGE_PROVIDER: z.preprocess(blankAsUndefined, z.enum(PROVIDERS, { message: 'must be local, aws_s3 or azure' }).default('local')),
  /** Where the `local` provider keeps objects (default: DATA_DIR/files). */
  STORAGE_LOCAL_DIR: z.preprocess(blankAsUndefined, z.string().optional()),
  /** The HMAC key of the `local` provider's signed URLs: 32 bytes or more; unset: derived from JWT_SECRET. */
  STORAGE_SIGNING_SECRET: z.preprocess(blankAsUndefined, z.string().optional()),
  /** Largest file accepted, in bytes (default 25 MiB). */
  STORAGE_MAX_FILE_BYTES: z.preprocess(
    blankAsUndefined,
    // At most 2^31 - 1: `byteSize` is a GraphQL Int (32-bit signed, GraphQL spec 3.5.1).
    positiveInt('must be a whole number of bytes, 1 to 2147483647').max(2 ** 31 - 1, { message: 'must be a whole number of bytes, 1 to 2147483647' }).default(25 * 1024 * 1024),
  ),
  /** Bytes an organization may store in all its files together, pending uploads included (default 1 GiB). */
  STORAGE_QUOTA_BYTES_PER_ORGANIZATION: z.preprocess(blankAsUndefined, positiveInt('must be a whole number of bytes, 1 or more').default(1024 ** 3)),
  /** Comma-separated media types accepted for upload (exact `type/subtype`, lower case). */
  STORAGE_ALLOWED_CONTENT_TYPES: z.preprocess(blankAsUndefined, z.string().optional()),
  /** How long a signed upload or download URL works, in seconds (default 300; 10 to 3600). */
  STORAGE_URL_TTL_SECONDS: z.preprocess(
    blankAsUndefined,
    z.coerce.number({ message: 'must be 10 to 3600 seconds' }).int().min(10, { message: 'must be 10 to 3600 seconds' }).max(3600, { message: 'must be 10 to 3600 seconds' }).default(300),
  ),
  /** The origin signed `local` URLs start with (behind a proxy); default: the GraphQL request's own. */
  STORAGE_PUBLIC_URL: z.preprocess(blankAsUndefined, z.string().optional()),
  ...azureStorageEnvSchema,
  ...s3EnvSchema,
};

type StorageEnv = { [K in keyof typeof storageEnvSchema]?: z.infer<(typeof storageEnvSchema)[K]> } & { DATA_DIR?: string };

export interface StorageConfig {
  provider: (typeof PROVIDERS)[number];
  /** `aws_s3`: bucket, region, endpoint (storage-s3.ts). */
  s3?: S3Config;
  /** `local`: the directory holding `<organization id>/<file id>` objects. */
  localDir: string;
  /** `local`: the HMAC-SHA256 key of signed URLs. */
  signingSecret: Uint8Array;
  /** True when no secret was configured and a random one was made for this process (development). */
  generatedSigningSecret: boolean;
  maxFileBytes: number;
  quotaBytesPerOrganization: number;
  allowedContentTypes: ReadonlySet<string>;
  urlTtlSeconds: number;
  /** Origin (scheme, host, port; no path) of signed `local` URLs; undefined: the request's. */
  publicUrl?: string;
  /** `azure`: the container and account (storage-azure.ts); undefined for other providers. */
  azure?: AzureStorageConfig;
}

const MIN_SECRET_BYTES = 32;

/**
 * The storage settings, or problems added to `problems` (reported with every other configuration
 * problem): a provider not built yet, a short signing secret, a bad
 * media type in the list, a maximum above the quota, a public URL that is not an http(s) origin.
 */
export function storageConfig(e: StorageEnv, jwt: { secret: Uint8Array; generatedSecret: boolean }, problems: string[]): StorageConfig {
  let signingSecret: Uint8Array = new Uint8Array();
  if (e.STORAGE_SIGNING_SECRET !== undefined) {
    if (Buffer.byteLength(e.STORAGE_SIGNING_SECRET) < MIN_SECRET_BYTES) {
      problems.push(`STORAGE_SIGNING_SECRET is too short: use at least ${MIN_SECRET_BYTES} bytes (e.g. \`openssl rand -base64 48\`).`);
    } else signingSecret = new TextEncoder().encode(e.STORAGE_SIGNING_SECRET);
  } else {
    // Unset: a key derived from the token secret (HKDF, RFC 5869, with its own label), so it is
    // as strong as JWT_SECRET (required in production), stable across restarts and instances,
    // and a URL signature can never pass as a token's or the reverse. Random per process when
    // JWT_SECRET is (development).
    signingSecret = new Uint8Array(hkdfSync('sha256', jwt.secret, new Uint8Array(), 'tenantql storage url signing', 32));
  }
  const listed = e.STORAGE_ALLOWED_CONTENT_TYPES?.split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const t of listed ?? []) {
    if (!MEDIA_TYPE.test(t)) problems.push(`STORAGE_ALLOWED_CONTENT_TYPES: "${t}" is not a lower-case media type like image/png (no parameters, no wildcards).`);
  }
  if (listed && listed.length === 0) problems.push('STORAGE_ALLOWED_CONTENT_TYPES: lists no media type; leave it unset for the defaults.');
  const maxFileBytes = e.STORAGE_MAX_FILE_BYTES ?? 25 * 1024 * 1024;
  const quotaBytesPerOrganization = e.STORAGE_QUOTA_BYTES_PER_ORGANIZATION ?? 1024 ** 3;
  if (e.STORAGE_MAX_FILE_BYTES !== undefined && e.STORAGE_QUOTA_BYTES_PER_ORGANIZATION !== undefined && maxFileBytes > quotaBytesPerOrganization) {
    problems.push(`STORAGE_MAX_FILE_BYTES (${maxFileBytes}) is larger than STORAGE_QUOTA_BYTES_PER_ORGANIZATION (${quotaBytesPerOrganization}): no file that large could ever be stored.`);
  }
  let publicUrl: string | undefined;
  if (e.STORAGE_PUBLIC_URL !== undefined) {
    const url = URL.canParse(e.STORAGE_PUBLIC_URL) ? new URL(e.STORAGE_PUBLIC_URL) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search !== '' || url.username !== '') {
      problems.push('STORAGE_PUBLIC_URL: must be an origin like https://api.example.com (http or https, no path, query or credentials).');
    } else publicUrl = url.origin;
  }
  const azure = azureStorageConfig(e.STORAGE_PROVIDER, e, problems);
  const s3 = s3Config(e, problems);
  return {
    provider: e.STORAGE_PROVIDER ?? 'local',
    s3,
    localDir: e.STORAGE_LOCAL_DIR ?? join(e.DATA_DIR ?? '.data', 'files'),
    signingSecret,
    generatedSigningSecret: e.STORAGE_SIGNING_SECRET === undefined && jwt.generatedSecret,
    maxFileBytes,
    quotaBytesPerOrganization,
    allowedContentTypes: new Set(listed && listed.length > 0 ? listed : DEFAULT_ALLOWED_CONTENT_TYPES),
    urlTtlSeconds: e.STORAGE_URL_TTL_SECONDS ?? 300,
    publicUrl,
    azure,
  };
}
