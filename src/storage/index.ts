import type { FastifyInstance } from 'fastify';
import type { StorageConfig } from '../config/storage.js';
import { localProvider } from './local/local-provider.js';
import { registerLocalStorageRoutes } from './local/local-routes.js';
import type { StorageProvider } from './storage-provider.js';

export type { StorageProvider } from './storage-provider.js';

/**
 * The configured provider (STORAGE_PROVIDER; only `local` is built), with whatever routes it
 * needs registered on `app` (`local` serves its signed URLs itself: /files/<token>).
 */
export async function createStorage(config: StorageConfig, app: FastifyInstance): Promise<StorageProvider> {
  await registerLocalStorageRoutes(app, config.localDir, config.signingSecret);
  return storageProvider(config);
}

/**
 * The configured provider without any route: what the command line (export, import, verify,
 * erase) reads and writes objects with. Its signed URLs work only where a server serves them.
 */
export function storageProvider(config: StorageConfig): StorageProvider {
  return localProvider(config.localDir, config.signingSecret);
}
