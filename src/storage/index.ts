import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { StorageConfig } from '../config/storage.js';
import { localProvider } from './local/local-provider.js';
import { registerLocalStorageRoutes } from './local/local-routes.js';
import type { StorageProvider } from './storage-provider.js';

export type { StorageProvider } from './storage-provider.js';

/**
 * The configured provider (STORAGE_PROVIDER), with whatever routes it needs registered on `app`
 * (`local` serves its signed URLs itself: /files/<token>). `azure` first checks its container
 * (checkAzureContainer) and throws a one-sentence Error when it cannot be used; `aws_s3` without
 * credentials raises S3CredentialsMissing (s3-client.ts). Either way the server does not start.
 * `opened`: the provider storageProvider() already gave (not opened and checked twice).
 */
export async function createStorage(config: StorageConfig, app: FastifyInstance, opened?: StorageProvider): Promise<StorageProvider> {
  if (config.provider === 'local') await registerLocalStorageRoutes(app, config.localDir, config.signingSecret);
  return opened ?? storageProvider(config, app.log);
}

/**
 * The configured provider without any route: what the server and the command line (export,
 * import, verify, erase) read and write objects with; `local`'s signed URLs work only where a
 * server serves them. Raises as createStorage does. `log`: where the cloud SDKs' warnings go.
 */
export async function storageProvider(config: StorageConfig, log?: Pick<FastifyBaseLogger, 'warn' | 'error'>): Promise<StorageProvider> {
  // The cloud SDKs are imported only when chosen: loading them takes from half a second (AWS) to
  // seconds (Azure), which local deployments, the CLI and every test server would otherwise pay.
  switch (config.provider) {
    case 'azure': {
      const { azureProvider, checkAzureContainer } = await import('./azure/azure-provider.js');
      await checkAzureContainer(config.azure!);
      return azureProvider(config.azure!, config.maxFileBytes);
    }
    case 'aws_s3': {
      const [{ createS3Client, requireCredentials }, { s3Provider }] = await Promise.all([import('./s3/s3-client.js'), import('./s3/s3-provider.js')]);
      const client = createS3Client(config.s3!, log);
      await requireCredentials(client);
      return s3Provider(client, config.s3!.bucket);
    }
    default:
      return localProvider(config.localDir, config.signingSecret);
  }
}
