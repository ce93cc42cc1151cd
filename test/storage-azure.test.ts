import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompleteFileUploadDocument, DeleteFileDocument, DocumentFilesDocument, RequestFileUploadDocument } from '../src/client/generated/graphql.js';
import { loadConfig } from '../src/config/index.js';
import { AZURITE_ACCOUNT } from '../src/config/storage-azure.js';
import { azureProvider, checkAzureContainer } from '../src/storage/azure/azure-provider.js';
import { createStorage } from '../src/storage/index.js';
import { startApp, type TestApp } from './support/app.js';
import { startAzurite, type Azurite } from './support/azurite.js';
import { configProblems } from './support/config-problems.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { documentFiles, expectReadWrite, fileRowsOf, putBytes, requestUpload, sha256Hex, uploadFile } from './support/files-helpers.js';
import { codes, gql, gqlOk } from './support/graphql.js';

// STORAGE_PROVIDER=azure against Azurite (started once for this file, blobs in memory), which
// checks SAS signatures as Azure does: the whole flow over HTTP through the API, edited SAS URLs,
// mismatched uploads, isolation, and the start-up refusals.

const CONTAINER = 'tenant-files';
let azurite: Azurite;
let app: TestApp;
let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  azurite = await startAzurite();
  await azurite.service.getContainerClient(CONTAINER).create();
  app = await startApp({ ...azurite.env(CONTAINER), STORAGE_MAX_FILE_BYTES: '64' });
  [a, b] = await Promise.all([createOrg(app, { roles: ['OWNER'], documents: 2 }), createOrg(app, { roles: ['OWNER'], documents: 1 })]);
});
afterAll(async () => {
  await app?.close();
  await azurite?.stop();
});

const blobOf = (key: string) => azurite.service.getContainerClient(CONTAINER).getBlockBlobClient(key);
const rowOf = async (org: TestOrg, fileId: string) => (await fileRowsOf(app, org.id)).find((r) => r.id === fileId);
const complete = (org: TestOrg, fileId: string) => gql(app, CompleteFileUploadDocument, { fileId }, { token: org.owner.token });
/** `url` with its query parameter `name` set to `value` (the signature left as it was). */
const withParam = (url: string, name: string, value: string) => {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.href;
};

describe('upload flow through the API', () => {
  it('request, PUT to the SAS URL, complete; listed; the download URL answers the bytes as an attachment; deleted', async () => {
    const bytes = 'hello, azure';
    const upload = await requestUpload(app, a.owner.token, a.documents[0]!.id, bytes, { filename: 'Ré sumé (final).txt' });
    const key = `${a.id}/${upload.file.id}`;
    // The blob is the object key: the organization id first, never the filename.
    expect(new URL(upload.uploadUrl).pathname).toBe(`/${AZURITE_ACCOUNT.accountName}/${CONTAINER}/${key}`);
    expect((await rowOf(a, upload.file.id))?.object_key).toBe(key);
    expect(upload.uploadHeaders).toEqual([{ name: 'x-ms-blob-type', value: 'BlockBlob' }, { name: 'content-type', value: 'text/plain' }]);
    const sas = new URL(upload.uploadUrl).searchParams;
    // Blob-scoped (sr=b), create+write only; http allowed only because this endpoint is http.
    expect({ sr: sas.get('sr'), sp: sas.get('sp'), spr: sas.get('spr') }).toEqual({ sr: 'b', sp: 'cw', spr: 'https,http' });
    expect(new Date(sas.get('se')!).getTime()).toBe(new Date(upload.expiresAt as string).getTime());

    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, bytes)).status).toBe(201);
    expect(await documentFiles(app, a.owner.token, a.documents[0]!.id)).toEqual([]); // pending: invisible
    const done = await gqlOk(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token });
    expect(done.completeFileUpload).toMatchObject({ byteSize: bytes.length, contentType: 'text/plain' });

    const [listed] = await documentFiles(app, a.owner.token, a.documents[0]!.id);
    const get = await fetch(listed!.downloadUrl);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe(bytes);
    expect(get.headers.get('content-type')).toBe('text/plain');
    expect(get.headers.get('content-disposition')).toBe(`attachment; filename="R_ sum_ (final).txt"; filename*=UTF-8''R%C3%A9%20sum%C3%A9%20%28final%29.txt`);

    expect((await gqlOk(app, DeleteFileDocument, { id: upload.file.id }, { token: a.owner.token })).deleteFile).toBe(upload.file.id);
    expect(await blobOf(key).exists()).toBe(false);
    expect((await fetch(listed!.downloadUrl)).status).toBe(404);
  });

  it('an empty file goes through the same flow', async () => {
    const id = await uploadFile(app, a.owner.token, a.documents[1]!.id, '', 'empty.txt');
    const listed = (await documentFiles(app, a.owner.token, a.documents[1]!.id)).find((f) => f.id === id)!;
    expect(listed.byteSize).toBe(0);
    const get = await fetch(listed.downloadUrl);
    expect([get.status, await get.text()]).toEqual([200, '']);
  });

  it('the served Content-Type is the declared one, whatever the PUT claimed', async () => {
    const bytes = '<script>alert(1)</script>';
    const upload = await requestUpload(app, a.owner.token, a.documents[1]!.id, bytes);
    const headers = upload.uploadHeaders.map((h) => (h.name === 'content-type' ? { ...h, value: 'text/html' } : h));
    expect((await putBytes(upload.uploadUrl, headers, bytes)).status).toBe(201);
    await gqlOk(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token });
    const listed = (await documentFiles(app, a.owner.token, a.documents[1]!.id)).find((f) => f.id === upload.file.id)!;
    const get = await fetch(listed.downloadUrl);
    expect(get.headers.get('content-type')).toBe('text/plain');
    expect(get.headers.get('content-disposition')).toMatch(/^attachment;/);
  });
});

describe('SAS URLs are checked by the store', () => {
  it('another blob name, a later expiry, the read SAS used to write, the upload SAS used to read: 403', async () => {
    const bytes = 'signed';
    const upload = await requestUpload(app, a.owner.token, a.documents[0]!.id, bytes);
    const headers = upload.uploadHeaders;
    const otherBlob = upload.uploadUrl.replace(`/${a.id}/${upload.file.id}`, `/${b.id}/${randomUUID()}`);
    const se = new URL(upload.uploadUrl).searchParams.get('se')!;
    const later = withParam(upload.uploadUrl, 'se', new Date(new Date(se).getTime() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const morePermissions = withParam(upload.uploadUrl, 'sp', 'rcwd');
    for (const url of [otherBlob, later, morePermissions]) {
      const put = await putBytes(url, headers, bytes);
      expect(put.status).toBe(403);
      expect(put.body.text).toContain('<Code>AuthorizationFailure</Code>');
    }
    expect((await fetch(upload.uploadUrl)).status).toBe(403); // no read permission
    expect((await putBytes(upload.uploadUrl, headers, bytes)).status).toBe(201); // the untouched URL works
    await gqlOk(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token });
    const listed = (await documentFiles(app, a.owner.token, a.documents[0]!.id)).find((f) => f.id === upload.file.id)!;
    expect((await putBytes(listed.downloadUrl, headers, 'overwritten')).status).toBe(403); // read SAS: no write
    const otherDownload = listed.downloadUrl.replace(`/${a.id}/${upload.file.id}`, `/${b.id}/${randomUUID()}`);
    expect((await fetch(otherDownload)).status).toBe(403);
    expect(await (await fetch(listed.downloadUrl)).text()).toBe(bytes);
  });

  it('once completed, the still-valid upload SAS cannot replace the verified bytes (the blob is leased)', async () => {
    const bytes = 'verified';
    const upload = await requestUpload(app, a.owner.token, a.documents[0]!.id, bytes);
    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, bytes)).status).toBe(201);
    await gqlOk(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token });
    const again = await putBytes(upload.uploadUrl, upload.uploadHeaders, 'something much larger than was declared');
    expect(again.status).toBe(412);
    expect(again.body.text).toContain('LeaseIdMissing');
    const listed = (await documentFiles(app, a.owner.token, a.documents[0]!.id)).find((f) => f.id === upload.file.id)!;
    expect(await (await fetch(listed.downloadUrl)).text()).toBe(bytes);
    // Deleting still works through the lease.
    await gqlOk(app, DeleteFileDocument, { id: upload.file.id }, { token: a.owner.token });
    expect(await blobOf(`${a.id}/${upload.file.id}`).exists()).toBe(false);
  });

  it('https only when the endpoint is https', async () => {
    const provider = azureProvider({ ...AZURITE_ACCOUNT, endpoint: 'https://acme.blob.core.windows.net', container: CONTAINER }, 64);
    const key = `${a.id}/${randomUUID()}`;
    const expiresAt = new Date(Date.now() + 60_000);
    const up = await provider.signUpload({ key, byteSize: 1, sha256: sha256Hex('x'), contentType: 'text/plain', expiresAt }, 'ignored');
    const down = await provider.signDownload({ key, filename: 'x', contentType: 'text/plain', expiresAt }, 'ignored');
    expect([new URL(up.url).searchParams.get('spr'), new URL(down).searchParams.get('spr')]).toEqual(['https', 'https']);
    expect(new URL(down).searchParams.get('sp')).toBe('r');
  });
});

describe('mismatched uploads leave nothing visible', () => {
  it.each([
    ['other bytes of the same size', 'DECLARED'],
    ['more bytes than declared', 'declared, and then some'],
    ['fewer bytes', 'decl'],
  ])('%s: completion refuses, the blob and the row are gone', async (_case, sent) => {
    const upload = await requestUpload(app, a.owner.token, a.documents[1]!.id, 'declared');
    // Azure cannot bind a size or checksum into a SAS: the store accepts the PUT ...
    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, sent)).status).toBe(201);
    // ... and completion, which hashes what was stored, refuses it.
    expect(codes(await complete(a, upload.file.id))).toEqual(['BAD_USER_INPUT']);
    expect(await blobOf(`${a.id}/${upload.file.id}`).exists()).toBe(false);
    expect(await rowOf(a, upload.file.id)).toBeUndefined();
    expect((await documentFiles(app, a.owner.token, a.documents[1]!.id)).some((f) => f.id === upload.file.id)).toBe(false);
  });

  it('nothing uploaded: completion refuses and discards the file', async () => {
    const upload = await requestUpload(app, a.owner.token, a.documents[1]!.id, 'never sent');
    expect(codes(await complete(a, upload.file.id))).toEqual(['BAD_USER_INPUT']);
    expect(await rowOf(a, upload.file.id)).toBeUndefined();
  });
});

describe('isolation', () => {
  it("A cannot complete, list, download or delete B's file; B's file stays", async () => {
    const bFile = await uploadFile(app, b.owner.token, b.documents[0]!.id, 'b only');
    expect(codes(await complete(a, bFile))).toEqual(['NOT_FOUND']);
    expect(codes(await gql(app, DeleteFileDocument, { id: bFile }, { token: a.owner.token }))).toEqual(['NOT_FOUND']);
    expect((await gql(app, DocumentFilesDocument, { id: b.documents[0]!.id }, { token: a.owner.token })).data?.document).toBeNull();
    const input = { documentId: b.documents[0]!.id, filename: 'x.txt', contentType: 'text/plain', byteSize: 1, sha256: sha256Hex('x') };
    expect(codes(await gql(app, RequestFileUploadDocument, { input }, { token: a.owner.token }))).toEqual(['NOT_FOUND']);
    // A's own upload SAS pointed at B's blob: refused by the store (above for a random id; here B's real one).
    const upload = await requestUpload(app, a.owner.token, a.documents[0]!.id, 'x');
    const atB = upload.uploadUrl.replace(`/${a.id}/${upload.file.id}`, `/${b.id}/${bFile}`);
    expect((await putBytes(atB, upload.uploadHeaders, 'x')).status).toBe(403);
    const [listed] = await documentFiles(app, b.owner.token, b.documents[0]!.id);
    expect(await (await fetch(listed!.downloadUrl)).text()).toBe('b only');
    expect(await blobOf(`${b.id}/${bFile}`).exists()).toBe(true);
  });
});

describe('read and write (export and import)', () => {
  it('write stores exactly byteSize bytes (else keeps what was there), read streams them back, null when none', async () => {
    const provider = azureProvider({ ...AZURITE_ACCOUNT, endpoint: azurite.endpoint, container: CONTAINER }, 64);
    const key = `${a.id}/${randomUUID()}`;
    await expectReadWrite(provider, key);
    await provider.write(key, Readable.from([Buffer.from('typed')]), { byteSize: 5, contentType: 'image/png' });
    expect((await blobOf(key).getProperties()).contentType).toBe('image/png');
  });
});

describe('start-up refusals', () => {
  const config = (change: Partial<typeof AZURITE_ACCOUNT & { container: string }>) => ({ ...AZURITE_ACCOUNT, endpoint: azurite.endpoint, container: CONTAINER, ...change });

  it('a missing container, a wrong key, or a container open to anonymous reads stops the server with one sentence', async () => {
    await expect(checkAzureContainer(config({ container: 'no-such-container' }))).rejects.toThrow(/"no-such-container" at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 does not exist/);
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    await expect(checkAzureContainer(config({ accountKey: wrongKey }))).rejects.toThrow(/refused the account key/);
    await azurite.service.getContainerClient('public-files').create({ access: 'blob' });
    await expect(checkAzureContainer(config({ container: 'public-files' }))).rejects.toThrow(/allows anonymous reads \(public access "blob"\)/);
    // What createServer awaits before it listens (server.ts), with the configuration parsed from the environment.
    const env = { JWT_SECRET: 'j'.repeat(40), ...azurite.env('no-such-container') };
    await expect(createStorage(loadConfig(env).storage, Fastify())).rejects.toThrow(/does not exist: create it/);
    await expect(checkAzureContainer(config({}))).resolves.toBeUndefined();
  });

  it('configuration: every problem listed at once', () => {
    expect(configProblems({ STORAGE_PROVIDER: 'azure' })).toEqual([
      expect.stringContaining('STORAGE_AZURE_CONTAINER is required'),
      expect.stringContaining('STORAGE_PROVIDER=azure needs credentials'),
    ]);
    expect(configProblems({ STORAGE_PROVIDER: 'azure', STORAGE_AZURE_CONTAINER: 'Bad--Name', STORAGE_AZURE_ACCOUNT_NAME: 'My-Account', STORAGE_AZURE_ENDPOINT: 'ftp://x' })).toEqual([
      expect.stringContaining('STORAGE_AZURE_CONTAINER "Bad--Name" is not a container name'),
      expect.stringContaining('STORAGE_AZURE_ACCOUNT_KEY is required'),
      expect.stringContaining('"My-Account" is not one'),
      expect.stringContaining('The Blob endpoint "ftp://x" is not an http(s) URL'),
    ]);
    // A SAS connection string can call Azure but cannot sign URLs: refused with the reason.
    expect(configProblems({ STORAGE_PROVIDER: 'azure', STORAGE_AZURE_CONTAINER: 'files', STORAGE_AZURE_CONNECTION_STRING: 'BlobEndpoint=https://acme.blob.core.windows.net;SharedAccessSignature=sv=2024&sig=x' })).toEqual([
      expect.stringMatching(/^STORAGE_AZURE_CONNECTION_STRING has no AccountKey: upload and download URLs are SAS signed with the account key/),
    ]);
    expect(configProblems({ STORAGE_PROVIDER: 'azure', STORAGE_AZURE_CONTAINER: 'files', STORAGE_AZURE_CONNECTION_STRING: 'UseDevelopmentStorage=true', STORAGE_AZURE_ACCOUNT_NAME: 'x' })).toEqual([
      expect.stringContaining('are both set: use one or the other'),
    ]);
    expect(configProblems({ STORAGE_PROVIDER: 'azure', STORAGE_AZURE_CONTAINER: 'files', STORAGE_AZURE_ACCOUNT_NAME: 'acme', STORAGE_AZURE_ACCOUNT_KEY: 'not base64!' })).toEqual([
      expect.stringContaining('The storage account key is not one'),
    ]);
  });

  it('configuration: a connection string or a name and key; the endpoint defaults to the public cloud', () => {
    const key = AZURITE_ACCOUNT.accountKey;
    const azure = (env: Record<string, string>) => loadConfig({ STORAGE_PROVIDER: 'azure', STORAGE_AZURE_CONTAINER: 'files', ...env }).storage.azure;
    expect(azure({ STORAGE_AZURE_CONNECTION_STRING: `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${key};EndpointSuffix=core.chinacloudapi.cn` })).toEqual({
      container: 'files', accountName: 'acme', accountKey: key, endpoint: 'https://acme.blob.core.chinacloudapi.cn',
    });
    expect(azure({ STORAGE_AZURE_ACCOUNT_NAME: 'acme', STORAGE_AZURE_ACCOUNT_KEY: key })?.endpoint).toBe('https://acme.blob.core.windows.net');
    expect(azure({ STORAGE_AZURE_CONNECTION_STRING: 'UseDevelopmentStorage=true' })).toMatchObject({ accountName: 'devstoreaccount1', endpoint: 'http://127.0.0.1:10000/devstoreaccount1' });
    expect(loadConfig({}).storage.azure).toBeUndefined();
  });
});
