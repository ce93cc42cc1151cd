import { createHmac } from 'node:crypto';
import type { BlockBlobClient } from '@azure/storage-blob';

// A verified blob is "frozen" with an infinite blob lease: while it is leased, Azure refuses any
// write that does not carry the lease id (Put Blob, Put Block, Put Block List, Set Metadata), so
// a still-valid upload SAS can no longer replace it. The lease id is derived from the account key
// and the object key (HMAC-SHA256), never stored and never shown: knowing a file id is not enough
// to write past the lease, and any instance of the API computes the same id.

/** Whether `err` is Azure's 404 (no such blob or container). */
export const isNotFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

/** The lease id of `blob` (a UUID-shaped string, as the Lease Blob operation requires). */
function leaseId(blob: BlockBlobClient, accountKey: string): string {
  const h = createHmac('sha256', Buffer.from(accountKey, 'base64')).update(`tenantql blob lease\0${blob.containerName}/${blob.name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Acquires (or renews: the same id is accepted on a blob it already leases) an infinite lease on
 * `blob`. False when there is no blob. Any other failure (a lease with another id) is thrown.
 */
export async function freeze(blob: BlockBlobClient, accountKey: string): Promise<boolean> {
  try {
    await blob.getBlobLeaseClient(leaseId(blob, accountKey)).acquireLease(-1);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Breaks any lease on `blob` at once, so it can be replaced or deleted; nothing when there is no blob or no lease. */
export async function unfreeze(blob: BlockBlobClient): Promise<void> {
  try {
    await blob.getBlobLeaseClient().breakLease(0);
  } catch (err) {
    // 409 LeaseNotPresentWithLeaseOperation: not leased (pending, or never verified).
    if (isNotFound(err) || (err as { statusCode?: number }).statusCode === 409) return;
    throw err;
  }
}
