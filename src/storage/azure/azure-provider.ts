import { createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential,
  type BlockBlobClient,
} from '@azure/storage-blob';
import type { AzureStorageConfig } from '../../config/storage-azure.js';
import { attachmentDisposition } from '../content-disposition.js';
import { exactSize } from '../exact-size.js';
import { isObjectKey } from '../object-key.js';
import type { DownloadGrant, SignedUpload, StorageProvider, StoredObject, UploadGrant } from '../storage-provider.js';
import { freeze, isNotFound, unfreeze } from './blob-lease.js';
import { StorageRefusal } from '../storage-refusal.js';

// STORAGE_PROVIDER=azure: Azure Blob Storage (or Azurite) with blob-scoped service SAS URLs,
// signed here with the account key (no call to Azure to sign). A SAS names one blob, its
// permissions and expiry, and is an HMAC-SHA256 over all of them with the key, so Azure refuses
// an edited one with 403 (Azure says AuthenticationFailed, Azurite AuthorizationFailure). No
// start time (`st`) is set: the URL works at once, whatever the clock skew to Azure.
//
// What a SAS cannot bind: the size, checksum or Content-Type of a PUT. So completion hashes what
// was stored (stat), and the download SAS overrides Content-Type (rsct) and Content-Disposition
// (rscd), whatever the uploader sent. Once stat has seen the bytes, the blob is frozen with an
// infinite lease (blob-lease.ts): the upload SAS is still valid until it expires and could
// otherwise replace the verified bytes with others of any size.

const seconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);

/**
 * The azure provider for `config`. `maxFileBytes` (STORAGE_MAX_FILE_BYTES) bounds how much `stat`
 * will read: no declared file is larger, so a larger blob is reported with its size and no hash.
 */
export function azureProvider(config: AzureStorageConfig, maxFileBytes: number): StorageProvider {
  const credential = new StorageSharedKeyCredential(config.accountName, config.accountKey);
  const container = new BlobServiceClient(config.endpoint, credential).getContainerClient(config.container);
  // An http endpoint (Azurite on loopback) cannot be reached over https; any https one must be.
  const protocol = config.endpoint.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp;
  const blobOf = (key: string): BlockBlobClient => {
    // Checked again here: a key is always two UUIDs, never a path another provider call could widen.
    if (!isObjectKey(key)) throw new Error('not an object key');
    return container.getBlockBlobClient(key);
  };
  const sasUrl = (blob: BlockBlobClient, permissions: string, expiresOn: Date, overrides: { contentDisposition?: string; contentType?: string } = {}) => {
    const sas = generateBlobSASQueryParameters(
      { containerName: config.container, blobName: blob.name, permissions: BlobSASPermissions.parse(permissions), expiresOn, protocol, ...overrides },
      credential,
    );
    return `${blob.url}?${sas.toString()}`;
  };

  return {
    name: 'azure',
    async signUpload(grant: UploadGrant): Promise<SignedUpload> {
      const expiresAt = seconds(grant.expiresAt);
      // c + w: create this blob or replace it while pending; no read, list or delete.
      const url = sasUrl(blobOf(grant.key), 'cw', expiresAt);
      return { url, headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': grant.contentType }, expiresAt };
    },
    async signDownload(grant: DownloadGrant): Promise<string> {
      return sasUrl(blobOf(grant.key), 'r', seconds(grant.expiresAt), { contentDisposition: attachmentDisposition(grant.filename), contentType: grant.contentType });
    },
    async stat(key: string): Promise<StoredObject | null> {
      const blob = blobOf(key);
      // Freeze first, so the bytes hashed below are the bytes that stay.
      if (!(await freeze(blob, config.accountKey))) return null;
      const byteSize = (await blob.getProperties()).contentLength ?? 0;
      // Azure keeps no SHA-256, and its Content-MD5 is whatever the uploader declared for a block
      // list (and MD5 besides): only hashing the bytes here can be trusted.
      if (byteSize > maxFileBytes) return { byteSize, sha256: '' };
      const hash = createHash('sha256');
      const body = (await blob.download(0, byteSize || undefined)).readableStreamBody;
      for await (const chunk of body ?? []) hash.update(chunk as Buffer);
      return { byteSize, sha256: hash.digest('hex') };
    },
    async delete(key: string): Promise<void> {
      const blob = blobOf(key);
      await unfreeze(blob);
      await blob.deleteIfExists({ deleteSnapshots: 'include' });
    },
    async read(key: string): Promise<Readable | null> {
      try {
        const body = (await blobOf(key).download()).readableStreamBody;
        if (!body) return Readable.from([]);
        return body instanceof Readable ? body : Readable.from(body);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async write(key: string, body: Readable, meta: { byteSize: number; contentType: string }): Promise<void> {
      const blob = blobOf(key);
      await unfreeze(blob);
      // The blocks are committed only after the stream ends, so a body of another size (which
      // fails the stream) leaves the previous object, or none, in place.
      const counted = pipeline(body, exactSize(meta.byteSize), () => {});
      try {
        await blob.uploadStream(counted, 4 * 1024 * 1024, 2, { blobHTTPHeaders: { blobContentType: meta.contentType } });
      } finally {
        // The new object, or the previous one when the upload failed: frozen again either way.
        await freeze(blob, config.accountKey);
      }
    },
  };
}

/**
 * Refuses to start against a container that is missing, unreachable, refuses the key, or lets
 * anyone read blobs without a SAS (public access would bypass every signed URL). Throws
 * StorageRefusal, whose message is one sentence for the operator.
 */
export async function checkAzureContainer(config: AzureStorageConfig): Promise<void> {
  const credential = new StorageSharedKeyCredential(config.accountName, config.accountKey);
  const container = new BlobServiceClient(config.endpoint, credential, { retryOptions: { maxTries: 2 } }).getContainerClient(config.container);
  const where = `Azure Blob container "${config.container}" at ${config.endpoint}`;
  let access: string | undefined;
  try {
    access = (await container.getProperties({ abortSignal: AbortSignal.timeout(15_000) })).blobPublicAccess;
  } catch (err) {
    const code = (err as { code?: string; statusCode?: number }).code ?? (err as Error).name;
    if (isNotFound(err)) throw new StorageRefusal(`${where} does not exist: create it (private, no public access), or fix STORAGE_AZURE_CONTAINER.`);
    if ((err as { statusCode?: number }).statusCode === 403) throw new StorageRefusal(`${where} refused the account key (${code}): check the key and account name.`);
    throw new StorageRefusal(`${where} could not be reached (${code}): check the endpoint and the network.`);
  }
  if (access) throw new StorageRefusal(`${where} allows anonymous reads (public access "${access}"): set it to private, since signed URLs are the only way in.`);
}
