import type { Logger } from 'pino';
import type { StorageConfig } from '../../config/storage.js';
import type { StorageProvider } from '../../storage/index.js';
import type { PlacementPools } from '../../tenancy/placement/placement-pools.js';
import { abandonedBefore } from './file-lifecycle.js';

// The periodic sweep of document files (README, "Document files: lifecycle"), on every placement:
// abandoned pending uploads are deleted (row, then bytes), and every object key the database
// queued when a file row was deleted (file_lifecycle migration) is deleted from the store and
// only then forgotten, and not before an upload URL issued earlier has expired (replayableAfter).
// Deletes are idempotent, so a key deleted right after its request committed (file-lifecycle.ts)
// is simply deleted again; a store that fails keeps the key queued for the next run.

/** Keys handled per placement per statement: bounded work for each round trip. */
export const SWEEP_BATCH = 500;
/**
 * A key deleted after this moment stays queued, and is deleted again by each sweep: an upload URL
 * issued before the delete works until it expires (STORAGE_URL_TTL_SECONDS) and S3 or Azure would
 * accept the bytes again (`local` refuses them: its tombstones, local-provider.ts).
 */
export const replayableAfter = (limits: Pick<StorageConfig, 'urlTtlSeconds'>, now: Date) => new Date(now.getTime() - limits.urlTtlSeconds * 1000);

/** How often the server sweeps; the first run is one interval after start. */
export const SWEEP_INTERVAL_MS = 5 * 60 * 1000;

/** What one sweep did on one placement. */
export interface PlacementSweep {
  placement: string;
  /** Objects deleted from the store and forgotten by the queue. */
  deleted: number;
  /** Set when the placement or the store failed; what was done before stays done. */
  error?: string;
}

/**
 * One sweep of every placement `pools` serves, as the serving role through the owner's
 * SECURITY DEFINER functions `sweep_files` and `forget_file_deletions` (the migration: each
 * organization's own rows under its own app.organization_id). Never throws: a placement that
 * fails is reported and swept next time.
 */
export async function sweepFiles(pools: PlacementPools, storage: StorageProvider, limits: Pick<StorageConfig, 'urlTtlSeconds'>, now = new Date()): Promise<PlacementSweep[]> {
  const report: PlacementSweep[] = [];
  for (const placement of pools.names()) {
    let deleted = 0;
    try {
      const { orm, release } = await pools.acquire(placement);
      try {
        const connection = orm.em.getConnection();
        for (;;) {
          const due = await connection.execute<{ object_key: string }[]>('select "object_key" from sweep_files(?, ?)', [abandonedBefore(limits, now), SWEEP_BATCH]);
          const keys = due.map((r) => r.object_key);
          for (const key of keys) await storage.delete(key);
          // As one JSON text: the driver would spread an array into a list of parameters.
          const forgotten = keys.length === 0 ? 0 : (await connection.execute<{ n: number }[]>('select forget_file_deletions(array(select json_array_elements_text(?::json)), ?) as n', [JSON.stringify(keys), replayableAfter(limits, now)]))[0]!.n;
          deleted += keys.length;
          // Keys come oldest first: once one is kept (its upload URL may still be used), so are the rest.
          if (keys.length < SWEEP_BATCH || forgotten < keys.length) break;
        }
      } finally {
        release();
      }
      report.push({ placement, deleted });
    } catch (err) {
      report.push({ placement, deleted, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return report;
}

/** Sweeps every SWEEP_INTERVAL_MS until `stop` (the server's onClose); one sweep at a time. Logs what each did. */
export function startFileSweeps(pools: PlacementPools, storage: StorageProvider, limits: Pick<StorageConfig, 'urlTtlSeconds'>, logger: Logger): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      for (const r of await sweepFiles(pools, storage, limits)) {
        if (r.error) logger.warn({ placement: r.placement, deleted: r.deleted, err: r.error }, 'file sweep failed; it runs again later');
        else if (r.deleted > 0) logger.info({ placement: r.placement, deleted: r.deleted }, 'file sweep deleted objects');
      }
    });
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
