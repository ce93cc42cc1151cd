import type { FastifyInstance } from 'fastify';
import type { StorageConfig } from '../config/storage.js';
import { localProvider } from './local/local-provider.js';
import { registerLocalStorageRoutes } from './local/local-routes.js';
import type { StorageProvider } from './storage-provider.js';

export type { StorageProvider } from './storage-provider.js';

/**
 * The configured provider (STORAGE_PROVIDER), with whatever routes it needs registered on `app`
 * (`local` serves its signed URLs itself: /files/<token>). `azure` first checks its container
 * (checkAzureContainer) and throws a one-sentence Error when it cannot be used.
 */
export async function createStorage(config: StorageConfig, app: FastifyInstance): Promise<StorageProvider> {
  switch (config.provider) {
    case 'azure': {
      // Imported only when chosen: loading the Azure SDK takes seconds, which every other start would pay.
      const { azureProvider, checkAzureContainer } = await import('./azure/azure-provider.js');
      await checkAzureContainer(config.azure!);
      return azureProvider(config.azure!, config.maxFileBytes);
    }
    default:
      await registerLocalStorageRoutes(app, config.localDir, config.signingSecret);
      return localProvider(config.localDir, config.signingSecret);
  }
}
