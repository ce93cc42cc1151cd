import { createHash, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { CompleteFileUploadDocument, DeleteFileDocument, DocumentFilesDocument, RequestFileUploadDocument } from '../../src/client/generated/graphql.js';
import type { TestApp } from './app.js';
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
  if (put.status !== 200) throw new Error(`PUT answered ${put.status}: ${JSON.stringify(put.body)}`);
  await gqlOk(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token });
  return upload.file.id;
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
