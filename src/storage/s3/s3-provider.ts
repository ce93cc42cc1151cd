import { createHash } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachmentDisposition } from '../content-disposition.js';
import { isObjectKey } from '../object-key.js';
import type { DownloadGrant, SignedUpload, StorageProvider, StoredObject, UploadGrant } from '../storage-provider.js';
import { exactLength } from './exact-length.js';

// The `aws_s3` provider: objects in one bucket under `<organization id>/<file id>`, uploads and
// downloads by SigV4 presigned URLs (query-string authentication), so the bytes never pass
// through the API. Only `stat`, `read`, `write` and `delete` are calls from the API to the store.

/** A key the store may be asked about: object-key.ts's shape, checked before any call. */
function checkedKey(key: string): string {
  if (!isObjectKey(key)) throw new Error('not an object key');
  return key;
}

/** Whether `err` is the store's "no such object" (HeadObject answers a bare 404, GetObject NoSuchKey). */
function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * A presigned URL's lifetime from `expiresAt`: whole seconds from the signing instant (itself
 * truncated to the second, as X-Amz-Date is), at least 1. The URL works until exactly
 * X-Amz-Date + X-Amz-Expires, which is what `expiresAt` reports back.
 */
function lifetime(expiresAt: Date) {
  const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
  const expiresIn = Math.max(1, Math.floor((expiresAt.getTime() - signingDate.getTime()) / 1000));
  return { signingDate, expiresIn, until: new Date(signingDate.getTime() + expiresIn * 1000) };
}

/**
 * The provider over `client` (s3-client.ts) and `bucket`.
 *
 * - signUpload: a presigned PutObject for exactly the key, with Content-Type, Content-Length and
 *   x-amz-checksum-sha256 (the declared SHA-256, base64) among the signed headers, so S3 refuses
 *   another type, another length (SignatureDoesNotMatch) or other bytes (BadDigest). The checksum
 *   stays a header (not hoisted into the query), as S3 verifies the body against the header.
 * - signDownload: a presigned GetObject whose response-content-disposition (attachment, RFC 6266
 *   and 8187 name) and response-content-type are in the signed query.
 * - stat: HeadObject with ChecksumMode ENABLED; when the store gives no full-object SHA-256 (an
 *   S3-compatible store without flexible checksums, a multipart upload), the object is read and
 *   hashed.
 */
export function s3Provider(client: S3Client, bucket: string): StorageProvider {
  const get = (key: string) => client.send(new GetObjectCommand({ Bucket: bucket, Key: checkedKey(key) }));

  async function hashObject(key: string): Promise<StoredObject | null> {
    const body = await read(key);
    if (!body) return null;
    const hash = createHash('sha256');
    let byteSize = 0;
    for await (const chunk of body) {
      byteSize += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
    return { byteSize, sha256: hash.digest('hex') };
  }

  async function read(key: string): Promise<Readable | null> {
    try {
      // In Node the SDK's body is the HTTP response stream (an IncomingMessage).
      return ((await get(key)).Body as Readable | undefined) ?? null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  return {
    name: 'aws_s3',
    async signUpload(grant: UploadGrant): Promise<SignedUpload> {
      const { signingDate, expiresIn, until } = lifetime(grant.expiresAt);
      const checksum = Buffer.from(grant.sha256, 'hex').toString('base64');
      const command = new PutObjectCommand({
        Bucket: bucket, Key: checkedKey(grant.key), ContentType: grant.contentType, ContentLength: grant.byteSize, ChecksumSHA256: checksum,
      });
      const url = await getSignedUrl(client, command, {
        signingDate,
        expiresIn,
        // The presigner leaves Content-Type unsigned unless asked; Content-Length is signed once present.
        signableHeaders: new Set(['content-type', 'content-length']),
        unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
      });
      const headers = { 'content-type': grant.contentType, 'content-length': String(grant.byteSize), 'x-amz-checksum-sha256': checksum };
      return { url, headers, expiresAt: until };
    },
    async signDownload(grant: DownloadGrant): Promise<string> {
      const { signingDate, expiresIn } = lifetime(grant.expiresAt);
      const command = new GetObjectCommand({
        Bucket: bucket, Key: checkedKey(grant.key), ResponseContentDisposition: attachmentDisposition(grant.filename), ResponseContentType: grant.contentType,
      });
      return getSignedUrl(client, command, { signingDate, expiresIn });
    },
    async stat(key: string): Promise<StoredObject | null> {
      let head;
      try {
        head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: checkedKey(key), ChecksumMode: 'ENABLED' }));
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
      // A composite checksum (multipart: "<base64>-<parts>") is not the bytes' SHA-256.
      const full = head.ChecksumSHA256 && head.ChecksumType !== 'COMPOSITE' && !head.ChecksumSHA256.includes('-');
      if (full && head.ContentLength !== undefined) {
        return { byteSize: head.ContentLength, sha256: Buffer.from(head.ChecksumSHA256!, 'base64').toString('hex') };
      }
      return hashObject(key);
    },
    async delete(key: string): Promise<void> {
      // S3 answers 204 whether or not the object existed.
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: checkedKey(key) }));
    },
    read,
    async write(key: string, body: Readable, meta: { byteSize: number; contentType: string }): Promise<void> {
      // A body of another length (or one that fails) fails `counted`, which aborts the request:
      // a single PUT that does not finish stores nothing.
      const Key = checkedKey(key);
      const counted = exactLength(meta.byteSize);
      // The SDK pipes the body into the request without passing errors on: abort it ourselves,
      // or a short body would leave the request (and the store) waiting for the missing bytes.
      const abort = new AbortController();
      let failure: Error | undefined;
      pipeline(body, counted, (err) => {
        if (!err) return;
        failure = err;
        abort.abort(err);
      });
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key, ContentType: meta.contentType, ContentLength: meta.byteSize, Body: counted }), { abortSignal: abort.signal });
      } catch (err) {
        // The stream's own error says why, not the SDK's "aborted" or "socket hang up".
        throw failure ?? err;
      }
    },
  };
}
