import type { FastifyInstance } from 'fastify';
import type { StorageConfig } from '../config/storage.js';
import { localProvider } from './local/local-provider.js';
import { registerLocalStorageRoutes } from './local/local-routes.js';
import type { StorageProvider } from './storage-provider.js';

export type { StorageProvider } from './storage-provider.js';

/**
 * The configured provider (STORAGE_PROVIDER: `local` or `aws_s3`), with whatever routes it
 * needs registered on `app` (`local` serves its signed URLs itself: /files/<token>).
 * `aws_s3` without credentials raises S3CredentialsMissing (s3-client.ts): the server does not start.
 */
export async function createStorage(config: StorageConfig, app: FastifyInstance): Promise<StorageProvider> {
  if (config.provider === 'aws_s3') {
    // Loaded only here: the AWS SDK takes about half a second to load, which `local` deployments,
    // the CLI and every test server would otherwise pay.
    const [{ createS3Client, requireCredentials }, { s3Provider }] = await Promise.all([import('./s3/s3-client.js'), import('./s3/s3-provider.js')]);
    const client = createS3Client(config.s3!, app.log);
    await requireCredentials(client);
    return s3Provider(client, config.s3!.bucket);
  }
  await registerLocalStorageRoutes(app, config.localDir, config.signingSecret);
  return localProvider(config.localDir, config.signingSecret);
}
