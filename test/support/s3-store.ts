import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import S3rver from 's3rver';

// A local S3-compatible store for the `aws_s3` provider's tests (npm s3rver, on a free loopback
// port), and an independent SigV4 check of presigned URLs: s3rver parses SigV4 query
// authentication and enforces X-Amz-Date + X-Amz-Expires, but does not verify the signature.
// So the store is reached through a proxy that verifies every presigned request's signature as S3
// does on receipt (presignedUrlVerifies) and answers 403 SignatureDoesNotMatch otherwise.
// Requests signed in the Authorization header (the API's own HeadObject, GetObject, DeleteObject
// calls) pass unverified.

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

/**
 * s3rver on a free loopback port with one empty bucket (objects in a fresh temporary directory),
 * behind a signature-checking proxy on another free port: `endpoint` is the proxy's. Presigned
 * requests are checked for s3rver's credentials in `region`.
 */
export async function startLocalS3(region: string, bucket = 'tenantql-files'): Promise<LocalS3> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantql-s3rver-'));
  const store = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await store.run();
  const proxy = createServer((req, res) => void forward(req, res, port, region));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    bucket,
    dir,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Refuses a presigned request whose signature does not verify; hands everything else to s3rver on `port`. */
async function forward(req: IncomingMessage, res: ServerResponse, port: number, region: string): Promise<void> {
  const url = `http://${req.headers.host}${req.url}`;
  if (new URL(url).searchParams.has('X-Amz-Signature')) {
    const sent = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    if (!(await presignedUrlVerifies(url, req.method!, sent, S3RVER_CREDENTIALS, region))) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code></Error>');
      return;
    }
  }
  const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode!, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
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
