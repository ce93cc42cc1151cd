import type { StorageConfig } from '../../config/storage.js';
import type { StorageProvider } from '../../storage/index.js';
import type { RequestScope } from '../../tenancy/request-scope.js';

// When a file's bytes go (README, "Document files: lifecycle"). A deleted file row queues its key
// in the same transaction (file_lifecycle migration); its bytes are deleted once that transaction
// has committed, here, and again by the periodic sweep (file-sweep.ts), which also forgets the
// queued key. A pending upload nobody completed is abandoned once its URL has expired and a grace
// has passed: it stops counting against the quota at once, and the sweep deletes it.

/**
 * How long after its upload URL expires a pending upload may still be completed: a PUT that
 * started just before the expiry may take this long to finish (a slow link, a large file).
 */
export const ABANDONED_GRACE_SECONDS = 15 * 60;

/** Pending uploads created before this are abandoned: URL lifetime (STORAGE_URL_TTL_SECONDS) plus the grace. */
export function abandonedBefore(limits: Pick<StorageConfig, 'urlTtlSeconds'>, now = new Date()): Date {
  return new Date(now.getTime() - (limits.urlTtlSeconds + ABANDONED_GRACE_SECONDS) * 1000);
}

/**
 * Deletes the objects under `keys` once the request's transaction has committed (never if it
 * rolls back). Their keys are already queued by the database for the sweep, so a failure here
 * (the store down) only delays the deletion.
 */
export function deleteObjectsAfterCommit(scope: RequestScope, storage: StorageProvider, keys: string[]): void {
  if (keys.length === 0) return;
  scope.afterCommit(async () => {
    for (const key of keys) await storage.delete(key);
  });
}
