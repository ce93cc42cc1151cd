import { createHash } from 'node:crypto';
import { CompleteFileUploadDocument, RequestFileUploadDocument } from '../../src/client/generated/graphql.js';
import type { TestApp } from './app.js';
import { gqlOk } from './graphql.js';

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
