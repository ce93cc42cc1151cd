import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { CompleteFileUploadDocument, DeleteFileDocument, DocumentFilesDocument, RequestFileUploadDocument } from '../../src/client/generated/graphql.js';
import type { StorageProvider } from '../../src/storage/index.js';
import type { TestApp } from './app.js';
import { withSql } from './database.js';
import { codes, gql, gqlOk } from './graphql.js';

export const sha256Hex = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

/** requestFileUpload for `bytes` (text/plain unless told), as `token`. */
export async function requestUpload(app: TestApp, token: string, documentId: string, bytes: string, extra: { filename?: string; contentType?: string } = {}) {
  const input = { documentId, filename: extra.filename ?? 'notes.txt', contentType: extra.contentType ?? 'text/plain', byteSize: Buffer.byteLength(bytes), sha256: sha256Hex(bytes) };
  const { requestFileUpload } = await gqlOk(app, RequestFileUploadDocument, { input }, { token });
  return requestFileUpload;
}

/** PUTs `body` to a signed URL with its headers, as curl would. `body`: the JSON answer (`local`), else `{ text }` (S3's XML or nothing). */
export async function putBytes(url: string, headers: { name: string; value: string }[], body: string | Uint8Array) {
  const res = await fetch(url, { method: 'PUT', headers: Object.fromEntries(headers.map((h) => [h.name, h.value])), body });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('application/json') ?? false;
  return { status: res.status, body: (json ? JSON.parse(text) : { text }) as { error?: { code: string }; text?: string } };
}

/** The whole flow: request, PUT, complete. Returns the file id. */
export async function uploadFile(app: TestApp, token: string, documentId: string, bytes: string, filename = 'notes.txt'): Promise<string> {
  const upload = await requestUpload(app, token, documentId, bytes, { filename });
  const put = await putBytes(upload.uploadUrl, upload.uploadHeaders, bytes);
  if (put.status < 200 || put.status > 299) throw new Error(`PUT answered ${put.status}: ${JSON.stringify(put.body)}`);
  await gqlOk(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token });
  return upload.file.id;
}

/** `Document.files` of `documentId` as `token` sees them. */
export const documentFiles = async (app: TestApp, token: string, documentId: string) =>
  (await gqlOk(app, DocumentFilesDocument, { id: documentId }, { token })).document!.files;

/** The organization's `file` rows as stored (owner connection: no row-level security), pending ones included. */
export const fileRowsOf = (app: TestApp, organizationId: string) =>
  withSql(app.databaseUrl, async (c) => (await c.query('select * from file where organization_id = $1', [organizationId])).rows);

/**
 * A provider's read and write on `key` (which must hold nothing): write stores exactly byteSize
 * bytes and replaces what is there; a body of another size fails and changes nothing; read
 * streams the bytes back, null when there is none; stat agrees; delete removes, twice without error.
 */
export async function expectReadWrite(provider: StorageProvider, key: string): Promise<void> {
  const text = async (s: Readable | null) => (s ? Buffer.concat(await s.toArray()).toString() : null);
  const write = (body: string, byteSize = 8) => provider.write(key, Readable.from([Buffer.from(body)]), { byteSize, contentType: 'text/plain' });
  expect(await provider.read(key)).toBeNull();
  await write('imported');
  expect(await text(await provider.read(key))).toBe('imported');
  await write('replaced');
  // Each provider words it its own way; each names the declared size.
  await expect(write('too long!')).rejects.toThrow(/\b8 bytes|\b8 expected/);
  await expect(write('short')).rejects.toThrow(/\b8 bytes|\b8 expected/);
  expect(await text(await provider.read(key))).toBe('replaced');
  expect(await provider.stat(key)).toEqual({ byteSize: 8, sha256: sha256Hex('replaced') });
  await provider.delete(key);
  expect(await provider.read(key)).toBeNull();
  await provider.delete(key);
}

/**
 * Asserts that `outsiderToken` (another organization's member) can neither complete nor delete
 * the file `fileId`, nor see its document `documentId` (so nor its files), nor request an upload
 * to it, and that each answer is the one a random id gets (NOT_FOUND, null): whatever the provider.
 */
export async function expectFileHiddenFrom(app: TestApp, outsiderToken: string, fileId: string, documentId: string): Promise<void> {
  const as = { token: outsiderToken };
  for (const id of [fileId, randomUUID()]) {
    expect(codes(await gql(app, CompleteFileUploadDocument, { fileId: id }, as))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(app, DeleteFileDocument, { id }, as))).toEqual(['NOT_FOUND']);
  }
  for (const id of [documentId, randomUUID()]) {
    expect((await gql(app, DocumentFilesDocument, { id }, as)).data?.document).toBeNull();
    const input = { documentId: id, filename: 'x.txt', contentType: 'text/plain', byteSize: 1, sha256: sha256Hex('x') };
    expect(codes(await gql(app, RequestFileUploadDocument, { input }, as))).toEqual(['NOT_FOUND']);
  }
}
