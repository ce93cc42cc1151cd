import { format } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import type { FastifyBaseLogger } from 'fastify';
import type { S3Config } from '../../config/storage-s3.js';
import { StorageRefusal } from '../storage-refusal.js';

/**
 * The SDK client for `config`'s bucket. Credentials come from the SDK's default provider chain
 * (environment, shared config files and AWS_PROFILE, web identity, ECS/EC2 roles), resolved on
 * first use and refreshed by the SDK. `log`: where the SDK's warnings and errors go (the console without).
 *
 * Checksums: since 3.729 the SDK adds a CRC32 checksum to every upload it sends and asks for one
 * on reads by default (requestChecksumCalculation / responseChecksumValidation WHEN_SUPPORTED),
 * which S3-compatible stores that predate S3's flexible checksums reject or mangle (aws-chunked
 * bodies with trailers). WHEN_REQUIRED keeps requests plain; integrity does not depend on it:
 * uploads are signed with the declared SHA-256, which S3 itself verifies, and `stat` compares it.
 */
export function createS3Client(config: S3Config, log?: Pick<FastifyBaseLogger, 'warn' | 'error'>): S3Client {
  // Without a logger the SDK writes its warnings to the console; its info lines (one per call,
  // with the input) are not wanted in the service's log.
  const logger = log && { debug: () => {}, info: () => {}, warn: (...m: unknown[]) => log.warn({ sdk: 'aws-s3' }, format(...m)), error: (...m: unknown[]) => log.error({ sdk: 'aws-s3' }, format(...m)) };
  return new S3Client({
    logger,
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Raised at start when the SDK's provider chain finds no credentials: the server does not start. */
export class S3CredentialsMissing extends StorageRefusal {
  constructor(cause: unknown) {
    super(
      'STORAGE_PROVIDER=aws_s3: the AWS SDK found no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role).',
      { cause },
    );
    this.name = 'S3CredentialsMissing';
  }
}

/**
 * Resolves the client's credentials once, at start, so a deployment without any is refused then
 * rather than answering every upload with an internal error. Touches no bucket: a store that is
 * down for a moment does not stop the API from starting. Raises S3CredentialsMissing.
 */
export async function requireCredentials(client: S3Client): Promise<void> {
  try {
    await client.config.credentials();
  } catch (err) {
    throw new S3CredentialsMissing(err);
  }
}
