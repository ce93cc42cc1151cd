import type { FastifyInstance } from 'fastify';
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
 */
export async function createStorage(config: StorageConfig, app: FastifyInstance): Promise<StorageProvider> {
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
      const client = createS3Client(config.s3!, app.log);
      await requireCredentials(client);
      return s3Provider(client, config.s3!.bucket);
    }
    default:
      await registerLocalStorageRoutes(app, config.localDir, config.signingSecret);
      return localProvider(config.localDir, config.signingSecret);
  }
}
