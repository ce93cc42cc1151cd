import { isIP } from 'node:net';
import { z } from 'zod';

// The `aws_s3` storage provider (src/storage/s3/): which bucket, where. Spread into
// storageEnvSchema (storage.ts); `.env.example` documents each variable. Credentials are not
// configured here: the AWS SDK's standard provider chain finds them (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, ECS or EC2 instance roles).

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(blank, z.string().optional());

export const s3EnvSchema = {
  /** aws_s3: the bucket holding `<organization id>/<file id>` objects (required). */
  STORAGE_S3_BUCKET: optionalText,
  /** aws_s3: the bucket's region, e.g. eu-west-1 (required: it is part of every signature). */
  STORAGE_S3_REGION: optionalText,
  /** aws_s3: an S3-compatible store's origin (MinIO, Ceph, R2...); unset: AWS itself. */
  STORAGE_S3_ENDPOINT: optionalText,
  /** aws_s3: `true` for https://endpoint/bucket/key URLs instead of https://bucket.endpoint/key. */
  STORAGE_S3_FORCE_PATH_STYLE: z.preprocess(blank, z.enum(['true', 'false'], { message: 'must be true or false' }).optional()),
};

type S3Env = { [K in keyof typeof s3EnvSchema]?: z.infer<(typeof s3EnvSchema)[K]> } & { STORAGE_PROVIDER?: string };

/** Where the `aws_s3` provider keeps objects. */
export interface S3Config {
  bucket: string;
  region: string;
  /** Origin of an S3-compatible store (scheme, host, port); undefined: AWS's own endpoints. */
  endpoint?: string;
  /** Bucket in the path rather than in the host name (most S3-compatible stores need it). */
  forcePathStyle: boolean;
}

// Amazon S3 general purpose bucket naming rules (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html):
// 3 to 63 characters, lower-case letters, digits, dots and hyphens, a letter or digit at each end,
// no two dots side by side, not an IPv4 address.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// AWS region codes: us-east-1, eu-central-2, us-gov-west-1, ap-southeast-7...
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
// S3-compatible stores name regions freely (R2: auto; MinIO: us-east-1 by default).
const ANY_REGION = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The S3 settings when STORAGE_PROVIDER=aws_s3 (else undefined), problems added to `problems`
 * (reported with every other configuration problem): bucket or region missing or malformed, an
 * endpoint that is not an http(s) origin, an IP-address endpoint without path-style URLs (no host
 * name to put the bucket in), and STORAGE_S3_* set while another provider is chosen.
 */
export function s3Config(e: S3Env, problems: string[]): S3Config | undefined {
  if (e.STORAGE_PROVIDER !== 'aws_s3') {
    const set = Object.keys(s3EnvSchema).filter((name) => e[name as keyof typeof s3EnvSchema] !== undefined);
    if (set.length > 0) problems.push(`${set.join(', ')} apply only with STORAGE_PROVIDER=aws_s3 (now ${e.STORAGE_PROVIDER ?? 'local'}): unset them or choose aws_s3.`);
    return undefined;
  }
  const bucket = e.STORAGE_S3_BUCKET ?? '';
  if (bucket === '') problems.push('STORAGE_S3_BUCKET is required with STORAGE_PROVIDER=aws_s3: the bucket that holds the files.');
  else if (!BUCKET.test(bucket) || bucket.includes('..') || isIP(bucket) !== 0) {
    problems.push(`STORAGE_S3_BUCKET: "${bucket.slice(0, 80)}" is not a bucket name (3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit).`);
  }
  let endpoint: string | undefined;
  if (e.STORAGE_S3_ENDPOINT !== undefined) {
    const url = URL.canParse(e.STORAGE_S3_ENDPOINT) ? new URL(e.STORAGE_S3_ENDPOINT) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      // Not echoed: a pasted URL may carry credentials.
      problems.push('STORAGE_S3_ENDPOINT: must be an origin like https://s3.example.com:9000 (http or https, no path, query or credentials).');
    } else endpoint = url.origin;
  }
  const forcePathStyle = e.STORAGE_S3_FORCE_PATH_STYLE === 'true';
  const region = e.STORAGE_S3_REGION ?? '';
  if (region === '') problems.push('STORAGE_S3_REGION is required with STORAGE_PROVIDER=aws_s3: the bucket\'s region, e.g. eu-west-1 (signatures name it).');
  else if (!(endpoint === undefined ? AWS_REGION : ANY_REGION).test(region)) {
    problems.push(`STORAGE_S3_REGION: "${region.slice(0, 80)}" is not ${endpoint === undefined ? 'an AWS region code like eu-west-1' : 'a region name (letters, digits, hyphens)'}.`);
  }
  if (endpoint !== undefined && !forcePathStyle && isIP(new URL(endpoint).hostname.replace(/^\[|\]$/g, '')) !== 0) {
    problems.push('STORAGE_S3_ENDPOINT is an IP address: set STORAGE_S3_FORCE_PATH_STYLE=true (a bucket cannot be put in front of an IP address as a host name).');
  }
  return { bucket, region, endpoint, forcePathStyle };
}
