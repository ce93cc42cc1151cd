import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import S3rver from 's3rver';

// A local S3-compatible store for the `aws_s3` provider's tests (npm s3rver, on a free loopback
// port), and an independent SigV4 check of presigned URLs: s3rver parses SigV4 query
// authentication and enforces X-Amz-Date + X-Amz-Expires, but does not verify the signature.

/** s3rver's built-in account: the only credentials it knows. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  /** Where s3rver keeps the objects (a fresh temporary directory). */
  dir: string;
  close(): Promise<void>;
}

/** s3rver on a free loopback port with one empty bucket, objects in a fresh temporary directory. */
export async function startLocalS3(bucket = 'tenantql-files'): Promise<LocalS3> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantql-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    dir,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));

/** SHA-256, or HMAC-SHA256 with a secret: the hash shape @smithy/signature-v4 asks for, from node:crypto. */
class Sha256 {
  private h: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.h = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: SourceData) {
    this.h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset() {
    this.h = this.fresh();
  }
}

/**
 * Whether `url`'s X-Amz-Signature is the SigV4 signature (AWS "Authenticating requests: using
 * query parameters") of a `method` request to exactly its host, path and query, with `headers`
 * (the values the client sends) for the headers named in X-Amz-SignedHeaders, by `credentials`
 * in `region`, dated X-Amz-Date and valid X-Amz-Expires seconds. Recomputed here with
 * @smithy/signature-v4 as S3 would on receipt, so an edited key, method or expiry fails.
 */
export async function presignedUrlVerifies(
  url: string,
  method: string,
  headers: Record<string, string>,
  credentials: { accessKeyId: string; secretAccessKey: string },
  region: string,
): Promise<boolean> {
  const u = new URL(url);
  const query: Record<string, string> = Object.fromEntries(u.searchParams);
  const given = query['X-Amz-Signature'];
  const signedHeaders = (query['X-Amz-SignedHeaders'] ?? '').split(';');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query['X-Amz-Date'] ?? '');
  if (!given || !date || !signedHeaders.includes('host')) return false;
  delete query['X-Amz-Signature'];
  // The presigner signs with the payload hash as a header that it then moves into the query.
  const payloadHash = query['X-Amz-Content-Sha256'];
  delete query['X-Amz-Content-Sha256'];
  const sent = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const request = {
    method,
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port === '' ? undefined : Number(u.port),
    path: u.pathname,
    query,
    headers: {
      ...Object.fromEntries(signedHeaders.filter((h) => h !== 'host').map((h) => [h, sent[h] ?? ''])),
      host: u.host,
      ...(payloadHash ? { 'X-Amz-Content-Sha256': payloadHash } : {}),
    },
  };
  // S3 signs the path as sent (no second escaping).
  const signer = new SignatureV4({ credentials, region, service: 's3', sha256: Sha256, uriEscapePath: false });
  const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
  const recomputed = await signer.presign(request, {
    signingDate: new Date(Date.UTC(y!, mo! - 1, d!, h, mi, s)),
    expiresIn: Number(query['X-Amz-Expires']),
    signableHeaders: new Set(signedHeaders),
    // Signed x-amz-* headers stay headers, as the client sends them.
    unhoistableHeaders: new Set(signedHeaders.filter((h) => h.startsWith('x-amz-'))),
  });
  return recomputed.query?.['X-Amz-Signature'] === given;
}
