import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompleteFileUploadDocument, DeleteFileDocument, DocumentFilesDocument } from '../src/client/generated/graphql.js';
import { loadConfig } from '../src/config/index.js';
import { createStorage } from '../src/storage/index.js';
import { createS3Client, S3CredentialsMissing } from '../src/storage/s3/s3-client.js';
import { s3Provider } from '../src/storage/s3/s3-provider.js';
import type { StorageProvider } from '../src/storage/storage-provider.js';
import { startApp, type TestApp } from './support/app.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import { configProblems as problems } from './support/config-problems.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { expectFileHiddenFrom, putBytes, requestUpload, sha256Hex, uploadFile } from './support/files-helpers.js';
import { codes, gql, gqlOk } from './support/graphql.js';
import { presignedUrlVerifies, S3RVER_CREDENTIALS, startLocalS3, type LocalS3 } from './support/s3-store.js';

// STORAGE_PROVIDER=aws_s3 against a local S3-compatible store (s3rver) over real HTTP: the upload
// flow through the API, what the presigned URLs are signed for (checked independently with
// @smithy/signature-v4, as s3rver does not verify SigV4 signatures), mismatched uploads, isolation,
// read/write, and the STORAGE_S3_* configuration checks.

const REGION = 'us-east-1';
const TTL = 120;
// The SDK's provider chain reads the environment first: s3rver's account, for this file only.
const CREDENTIAL_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;
const savedEnv = Object.fromEntries(CREDENTIAL_VARS.map((k) => [k, process.env[k]]));

let s3: LocalS3;
let app: TestApp;
let storage: StorageProvider;
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  s3 = await startLocalS3(REGION);
  for (const k of CREDENTIAL_VARS) delete process.env[k];
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  app = await startApp({
    STORAGE_PROVIDER: 'aws_s3', STORAGE_S3_BUCKET: s3.bucket, STORAGE_S3_REGION: REGION, STORAGE_S3_ENDPOINT: s3.endpoint, STORAGE_S3_FORCE_PATH_STYLE: 'true',
    STORAGE_URL_TTL_SECONDS: String(TTL), STORAGE_MAX_FILE_BYTES: '40',
  });
  storage = s3Provider(createS3Client(app.config.storage.s3!), s3.bucket);
  [a, b] = await Promise.all([createOrg(app, { roles: ['OWNER'], documents: 2 }), createOrg(app, { roles: ['OWNER'], documents: 1 })]);
});
afterAll(async () => {
  await app?.close();
  await s3?.close();
  for (const k of CREDENTIAL_VARS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

/** The keys in the bucket under `prefix`, as the store lists them. */
async function keysInStore(prefix: string): Promise<string[]> {
  const listed = await createS3Client(app.config.storage.s3!).send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}
const filesOf = async (org: TestOrg, documentId: string) => (await gqlOk(app, DocumentFilesDocument, { id: documentId }, { token: org.owner.token })).document!.files;
const fileRow = (orgId: string, id: string) => withSql(app.databaseUrl, async (c) => (await c.query('select * from file where organization_id = $1 and id = $2', [orgId, id])).rows[0]);
const headerMap = (headers: { name: string; value: string }[]) => Object.fromEntries(headers.map((h) => [h.name, h.value]));
const verifies = (url: string, method: string, headers: Record<string, string> = {}) => presignedUrlVerifies(url, method, headers, S3RVER_CREDENTIALS, REGION);
const withParam = (url: string, name: string, value: string) => {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
};

describe('upload flow through the API', () => {
  it('request, PUT to the presigned URL, complete; listed with a download URL that returns the bytes as an attachment; deleted', async () => {
    const bytes = 'hello, s3';
    const upload = await requestUpload(app, a.owner.token, a.documents[0]!.id, bytes, { filename: 'rapport "final" (v2) é.txt' });
    const key = `${a.id}/${upload.file.id}`;
    // Path-style URL to exactly the key, which starts with the organization id.
    const url = new URL(upload.uploadUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${s3.endpoint}/${s3.bucket}/${key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(TTL));
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host;x-amz-checksum-sha256');
    const headers = headerMap(upload.uploadHeaders);
    expect(headers).toEqual({ 'content-type': 'text/plain', 'content-length': String(bytes.length), 'x-amz-checksum-sha256': Buffer.from(sha256Hex(bytes), 'hex').toString('base64') });
    expect(new Date(upload.expiresAt as string).getTime() - Date.now()).toBeLessThanOrEqual(TTL * 1000);
    expect(await verifies(upload.uploadUrl, 'PUT', headers)).toBe(true);

    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, bytes)).status).toBe(200);
    expect(await filesOf(a, a.documents[0]!.id)).toEqual([]); // pending: invisible
    const done = await gqlOk(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token });
    expect(done.completeFileUpload).toMatchObject({ byteSize: bytes.length, contentType: 'text/plain' });
    expect((await fileRow(a.id, upload.file.id)).object_key).toBe(key);
    expect(await keysInStore(`${a.id}/`)).toContain(key);

    const [listed] = await filesOf(a, a.documents[0]!.id);
    const download = new URL(listed!.downloadUrl);
    expect(download.pathname).toBe(`/${s3.bucket}/${key}`);
    expect(download.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(download.searchParams.get('response-content-type')).toBe('text/plain');
    expect(await verifies(listed!.downloadUrl, 'GET')).toBe(true);
    const res = await fetch(listed!.downloadUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(bytes);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="rapport _final_ (v2) _.txt"; filename*=UTF-8''rapport%20%22final%22%20%28v2%29%20%C3%A9.txt`);

    expect((await gqlOk(app, DeleteFileDocument, { id: upload.file.id }, { token: a.owner.token })).deleteFile).toBe(upload.file.id);
    expect(await keysInStore(key)).toEqual([]);
    expect((await fetch(listed!.downloadUrl)).status).toBe(404);
  });

  it('bytes of another SHA-256 or size leave nothing visible: no object, no row', async () => {
    const refusedAtCompletion = async (fileId: string) => {
      const key = `${a.id}/${fileId}`;
      expect(await keysInStore(key)).toEqual([key]);
      expect(codes(await gql(app, CompleteFileUploadDocument, { fileId }, { token: a.owner.token }))).toEqual(['BAD_USER_INPUT']);
      expect(await keysInStore(key)).toEqual([]);
      expect(await fileRow(a.id, fileId)).toBeUndefined();
    };
    // Same size, other bytes: S3 answers 400 BadDigest (x-amz-checksum-sha256); s3rver stores them.
    const sameSize = await requestUpload(app, a.owner.token, a.documents[1]!.id, 'declared');
    expect((await putBytes(sameSize.uploadUrl, sameSize.uploadHeaders, 'DECLARED')).status).toBe(200);
    await refusedAtCompletion(sameSize.file.id);
    // Another size: Content-Length is signed, so the store refuses the PUT and holds nothing.
    const otherSize = await requestUpload(app, a.owner.token, a.documents[1]!.id, 'four');
    const unsized = otherSize.uploadHeaders.filter((h) => h.name !== 'content-length');
    expect(await putBytes(otherSize.uploadUrl, unsized, 'four and more')).toMatchObject({ status: 403, body: { text: expect.stringContaining('SignatureDoesNotMatch') } });
    expect(await keysInStore(`${a.id}/${otherSize.file.id}`)).toEqual([]);
    // Another size in the store all the same (written by other means): refused at completion.
    await storage.write(`${a.id}/${otherSize.file.id}`, Readable.from([Buffer.from('four and more')]), { byteSize: 13, contentType: 'text/plain' });
    await refusedAtCompletion(otherSize.file.id);
    expect(await filesOf(a, a.documents[1]!.id)).toEqual([]);
  });

  it('completing with nothing uploaded discards the file', async () => {
    const upload = await requestUpload(app, a.owner.token, a.documents[1]!.id, 'never sent');
    expect(codes(await gql(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token }))).toEqual(['BAD_USER_INPUT']);
    expect(await fileRow(a.id, upload.file.id)).toBeUndefined();
  });
});

describe('a store that does not answer', () => {
  it('completeFileUpload answers SERVICE_UNAVAILABLE with a retry hint (no internals); once the store is back it completes', async () => {
    const target = new URL(s3.endpoint);
    const proxy = await startTcpProxy(target.hostname, Number(target.port));
    const behind = await startApp({
      STORAGE_PROVIDER: 'aws_s3', STORAGE_S3_BUCKET: s3.bucket, STORAGE_S3_REGION: REGION, STORAGE_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, STORAGE_S3_FORCE_PATH_STYLE: 'true',
      STORAGE_URL_TTL_SECONDS: String(TTL), STORAGE_MAX_FILE_BYTES: '40',
    }, app.databaseUrl);
    try {
      const upload = await requestUpload(behind, a.owner.token, a.documents[0]!.id, 'while down');
      expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, 'while down')).status).toBe(200);
      await proxy.stop();
      const refused = await gql(behind, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token });
      expect(refused.status).toBe(503);
      expect(codes(refused)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.raw).not.toMatch(/ECONN|127\.0\.0\.1|s3|bucket|stack/i);
      await proxy.start();
      const done = await gqlOk(behind, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token });
      expect(done.completeFileUpload.id).toBe(upload.file.id);
    } finally {
      await behind.close();
      await proxy.stop();
    }
  });
});

describe('what a presigned URL is signed for', () => {
  it('another key, method, expiry, size, type or checksum does not verify', async () => {
    const bytes = 'scoped';
    const upload = await requestUpload(app, a.owner.token, a.documents[0]!.id, bytes);
    const headers = headerMap(upload.uploadHeaders);
    const url = new URL(upload.uploadUrl);
    const otherKey = new URL(upload.uploadUrl);
    otherKey.pathname = `/${s3.bucket}/${b.id}/${randomUUID()}`;
    const otherBucket = new URL(upload.uploadUrl);
    otherBucket.pathname = url.pathname.replace(`/${s3.bucket}/`, '/other-bucket/');
    expect(await verifies(otherKey.toString(), 'PUT', headers)).toBe(false);
    expect(await verifies(otherBucket.toString(), 'PUT', headers)).toBe(false);
    expect(await verifies(upload.uploadUrl, 'GET', headers)).toBe(false);
    expect(await verifies(upload.uploadUrl, 'DELETE', headers)).toBe(false);
    expect(await verifies(withParam(upload.uploadUrl, 'X-Amz-Expires', '3600'), 'PUT', headers)).toBe(false);
    expect(await verifies(withParam(upload.uploadUrl, 'X-Amz-Date', '20300101T000000Z'), 'PUT', headers)).toBe(false);
    expect(await verifies(withParam(upload.uploadUrl, 'X-Amz-SignedHeaders', 'host'), 'PUT', {})).toBe(false);
    expect(await verifies(upload.uploadUrl, 'PUT', { ...headers, 'content-length': '1000' })).toBe(false);
    expect(await verifies(upload.uploadUrl, 'PUT', { ...headers, 'content-type': 'application/pdf' })).toBe(false);
    expect(await verifies(upload.uploadUrl, 'PUT', { ...headers, 'x-amz-checksum-sha256': Buffer.from(sha256Hex('other'), 'hex').toString('base64') })).toBe(false);
    // Signed by anyone else.
    expect(await presignedUrlVerifies(upload.uploadUrl, 'PUT', headers, { accessKeyId: 'S3RVER', secretAccessKey: 'guess' }, REGION)).toBe(false);
    expect(await presignedUrlVerifies(upload.uploadUrl, 'PUT', headers, S3RVER_CREDENTIALS, 'eu-west-1')).toBe(false);
    // The untouched URL and headers.
    expect(await verifies(upload.uploadUrl, 'PUT', headers)).toBe(true);

    // The same over HTTP: the store (behind the verifying proxy) refuses each edit, stores nothing.
    const refused = async (res: Promise<Response>) => {
      const answer = await res;
      expect([answer.status, await answer.text()]).toEqual([403, expect.stringContaining('SignatureDoesNotMatch')]);
    };
    await refused(fetch(otherKey, { method: 'PUT', headers, body: bytes }));
    await refused(fetch(withParam(upload.uploadUrl, 'X-Amz-Expires', '3600'), { method: 'PUT', headers, body: bytes }));
    await refused(fetch(upload.uploadUrl, { method: 'PUT', headers: { ...headers, 'content-type': 'application/pdf' }, body: bytes }));
    await refused(fetch(upload.uploadUrl, { method: 'GET' }));
    expect(await keysInStore(`${b.id}/`)).toEqual([]);
    expect(await keysInStore(`${a.id}/${upload.file.id}`)).toEqual([]);
    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, bytes)).status).toBe(200);
  });

  it("a download URL's name and type are signed; an expired URL is refused by the store", async () => {
    const key = `${a.id}/${randomUUID()}`;
    await storage.write(key, Readable.from([Buffer.from('x')]), { byteSize: 1, contentType: 'text/plain' });
    const signed = await storage.signDownload({ key, filename: 'x.txt', contentType: 'text/plain', expiresAt: new Date(Date.now() + 1500) }, '');
    expect(await verifies(signed, 'GET')).toBe(true);
    expect(await verifies(withParam(signed, 'response-content-type', 'text/html'), 'GET')).toBe(false);
    expect(await verifies(withParam(signed, 'response-content-disposition', 'inline'), 'GET')).toBe(false);
    expect((await fetch(signed)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await fetch(signed);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
    await storage.delete(key);
  });
});

describe('isolation', () => {
  it("A cannot request, complete, list or delete B's file (answered like a random id); B's object stays under B's prefix", async () => {
    const bFile = await uploadFile(app, b.owner.token, b.documents[0]!.id, 'b bytes');
    await expectFileHiddenFrom(app, a.owner.token, bFile, b.documents[0]!.id);
    expect(await keysInStore(`${b.id}/`)).toEqual([`${b.id}/${bFile}`]);
    expect(await keysInStore(`${a.id}/${bFile}`)).toEqual([]);
    // A's own download URL, edited to B's key, is not one the store would accept.
    const aFile = await uploadFile(app, a.owner.token, a.documents[0]!.id, 'a bytes');
    const [aListed] = (await filesOf(a, a.documents[0]!.id)).filter((f) => f.id === aFile);
    const edited = new URL(aListed!.downloadUrl);
    edited.pathname = `/${s3.bucket}/${b.id}/${bFile}`;
    expect(await verifies(edited.toString(), 'GET')).toBe(false);
  });
});

describe('read, write, stat, delete', () => {
  it('writes exactly the declared bytes, reads them back, hashes them when the store keeps no SHA-256', async () => {
    const key = `${a.id}/${randomUUID()}`;
    expect(await storage.stat(key)).toBeNull();
    expect(await storage.read(key)).toBeNull();
    await storage.write(key, Readable.from([Buffer.from('abc'), Buffer.from('def')]), { byteSize: 6, contentType: 'text/plain' });
    expect(await storage.stat(key)).toEqual({ byteSize: 6, sha256: sha256Hex('abcdef') });
    const chunks: Buffer[] = [];
    for await (const chunk of (await storage.read(key))!) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('abcdef');
    // More or fewer bytes than declared: refused, and the object is unchanged.
    await expect(storage.write(key, Readable.from([Buffer.from('abcdefg')]), { byteSize: 6, contentType: 'text/plain' })).rejects.toThrow('more than');
    await expect(storage.write(key, Readable.from([Buffer.from('abc')]), { byteSize: 6, contentType: 'text/plain' })).rejects.toThrow('only 3 bytes');
    expect(await storage.stat(key)).toEqual({ byteSize: 6, sha256: sha256Hex('abcdef') });
    await storage.delete(key);
    await storage.delete(key); // none there: no error
    expect(await storage.stat(key)).toBeNull();
  });

  it('refuses anything but an object key before calling the store', async () => {
    for (const key of ['../x', `${a.id}/../${b.id}/x`, `${b.id}`, 'A/B']) {
      await expect(storage.stat(key)).rejects.toThrow('not an object key');
      await expect(storage.signDownload({ key, filename: 'x', contentType: 'text/plain', expiresAt: new Date(Date.now() + 60_000) }, '')).rejects.toThrow('not an object key');
    }
  });
});

describe('configuration', () => {
  it('refuses to start without credentials from the provider chain', async () => {
    const saved = { ...process.env };
    for (const k of CREDENTIAL_VARS) delete process.env[k];
    // No instance metadata service to wait for on a test machine.
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_SHARED_CREDENTIALS_FILE = process.env.AWS_CONFIG_FILE = '/nonexistent';
    try {
      const err = await createStorage(app.config.storage, app.server).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(S3CredentialsMissing);
      expect((err as Error).message).toContain('AWS_ACCESS_KEY_ID');
    } finally {
      for (const k of ['AWS_EC2_METADATA_DISABLED', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', ...CREDENTIAL_VARS]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
    await expect(createStorage(app.config.storage, app.server)).resolves.toMatchObject({ name: 'aws_s3' });
  });

  it('aws_s3 reads bucket, region, endpoint and path style', () => {
    const storage = loadConfig({ STORAGE_PROVIDER: 'aws_s3', STORAGE_S3_BUCKET: 'acme-files', STORAGE_S3_REGION: 'eu-west-1' }).storage;
    expect(storage).toMatchObject({ provider: 'aws_s3', s3: { bucket: 'acme-files', region: 'eu-west-1', endpoint: undefined, forcePathStyle: false } });
    const minio = loadConfig({ STORAGE_PROVIDER: 'aws_s3', STORAGE_S3_BUCKET: 'files', STORAGE_S3_REGION: 'auto', STORAGE_S3_ENDPOINT: 'https://minio.internal:9000/', STORAGE_S3_FORCE_PATH_STYLE: 'true' });
    expect(minio.storage.s3).toEqual({ bucket: 'files', region: 'auto', endpoint: 'https://minio.internal:9000', forcePathStyle: true });
    expect(loadConfig({}).storage.s3).toBeUndefined();
  });

  it('lists every problem at once', () => {
    expect(problems({ STORAGE_PROVIDER: 'aws_s3' })).toEqual([
      expect.stringContaining('STORAGE_S3_BUCKET is required'),
      expect.stringContaining('STORAGE_S3_REGION is required'),
    ]);
    expect(problems({ STORAGE_PROVIDER: 'aws_s3', STORAGE_S3_BUCKET: 'Bad_Bucket', STORAGE_S3_REGION: 'Europe', STORAGE_S3_ENDPOINT: 'ftp://user:pw@store/x', STORAGE_S3_FORCE_PATH_STYLE: 'maybe' })).toEqual([
      'STORAGE_S3_FORCE_PATH_STYLE: must be true or false',
      expect.stringContaining('STORAGE_S3_BUCKET: "Bad_Bucket" is not a bucket name'),
      expect.stringContaining('STORAGE_S3_ENDPOINT: must be an origin'),
      expect.stringContaining('STORAGE_S3_REGION: "Europe" is not an AWS region code'),
    ]);
    // The endpoint's credentials are never echoed.
    expect(problems({ STORAGE_PROVIDER: 'aws_s3', STORAGE_S3_BUCKET: 'files', STORAGE_S3_REGION: 'x', STORAGE_S3_ENDPOINT: 'https://k:secret@s3.example.com/p' }).join()).not.toContain('secret');
    expect(problems({ STORAGE_PROVIDER: 'aws_s3', STORAGE_S3_BUCKET: '192.168.1.1', STORAGE_S3_REGION: 'us-east-1', STORAGE_S3_ENDPOINT: 'http://127.0.0.1:9000' })).toEqual([
      expect.stringContaining('is not a bucket name'),
      expect.stringContaining('STORAGE_S3_ENDPOINT is an IP address: set STORAGE_S3_FORCE_PATH_STYLE=true'),
    ]);
    expect(problems({ STORAGE_S3_BUCKET: 'files', STORAGE_S3_REGION: 'eu-west-1' })).toEqual([
      expect.stringContaining('STORAGE_S3_BUCKET, STORAGE_S3_REGION apply only with STORAGE_PROVIDER=aws_s3 (now local)'),
    ]);
  });
});
