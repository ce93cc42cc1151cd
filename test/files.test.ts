import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompleteFileUploadDocument, DeleteFileDocument } from '../src/client/generated/graphql.js';
import { localProvider } from '../src/storage/local/local-provider.js';
import { signToken } from '../src/storage/local/signed-token.js';
import { startApp, type TestApp } from './support/app.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { activityOf } from './support/documents-helpers.js';
import { documentFiles, expectFileHiddenFrom, expectReadWrite, fileRowsOf, putBytes, requestUpload, sha256Hex, uploadFile } from './support/files-helpers.js';
import { codes, gql, gqlOk } from './support/graphql.js';

// Document files on the `local` provider, over real HTTP and a real PostgreSQL: the upload flow,
// the signed URLs' guarantees, limits, and isolation between organizations.

const QUOTA = 64;
let app: TestApp;
let a: TestOrg;
let b: TestOrg;
/** Fills its quota in the limits test. */
let c: TestOrg;

beforeAll(async () => {
  app = await startApp({ STORAGE_QUOTA_BYTES_PER_ORGANIZATION: String(QUOTA), STORAGE_MAX_FILE_BYTES: '40', STORAGE_SIGNING_SECRET: 'x'.repeat(40) });
  [a, b, c] = await Promise.all([
    createOrg(app, { roles: ['OWNER', 'MEMBER', 'VIEWER'], documents: 2 }),
    createOrg(app, { roles: ['OWNER'], documents: 1 }),
    createOrg(app, { roles: ['OWNER'], documents: 1 }),
  ]);
});
afterAll(() => app?.close());

const filesOf = (org: TestOrg, documentId: string) => documentFiles(app, org.owner.token, documentId);
const fileRows = (orgId: string) => fileRowsOf(app, orgId);
const objectOnDisk = (key: string) => existsSync(join(app.config.storage.localDir, ...key.split('/')));
const secret = () => app.config.storage.signingSecret;

describe('upload flow', () => {
  it('request, PUT, complete; listed with a download URL that returns the bytes; deleted', async () => {
    const bytes = 'hello, files';
    const upload = await requestUpload(app, a.owner.token, a.documents[0]!.id, bytes, { filename: '../../etc/pässwd\\x.txt' });
    expect(await filesOf(a, a.documents[0]!.id)).toEqual([]); // pending: invisible
    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, bytes)).status).toBe(200);
    const done = await gqlOk(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token });
    expect(done.completeFileUpload).toMatchObject({ filename: '.._.._etc_pässwd_x.txt', byteSize: bytes.length, contentType: 'text/plain' });
    const [row] = (await fileRows(a.id)).filter((r) => r.id === upload.file.id);
    expect(row.object_key).toBe(`${a.id}/${upload.file.id}`); // never the filename
    const [listed] = await filesOf(a, a.documents[0]!.id);
    const res = await fetch(listed!.downloadUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(bytes);
    expect(res.headers.get('content-disposition')).toContain("filename*=UTF-8''.._.._etc_p%C3%A4sswd_x.txt");
    expect((await gqlOk(app, DeleteFileDocument, { id: upload.file.id }, { token: a.owner.token })).deleteFile).toBe(upload.file.id);
    expect(objectOnDisk(row.object_key)).toBe(false);
    expect((await fetch(listed!.downloadUrl)).status).toBe(404);
    // Audited: the request (target: the document), completion, the download URL issued, the delete.
    const trail = (await activityOf(app, a.owner.token)).map((e) => `${e.action} ${e.targetType} ${e.targetId}`);
    expect(trail).toEqual(
      expect.arrayContaining([
        `file.upload.request Document ${a.documents[0]!.id}`,
        `file.upload.complete File ${upload.file.id}`,
        `file.download File ${upload.file.id}`,
        `file.delete File ${upload.file.id}`,
      ]),
    );
  });

  it("a MEMBER deletes the files they uploaded, not another's (FORBIDDEN, recorded); the OWNER deletes any", async () => {
    const member = a.users.find((u) => u.role === 'MEMBER')!;
    const owners = await uploadFile(app, a.owner.token, a.documents[0]!.id, "owner's");
    const members = await uploadFile(app, member.token, a.documents[0]!.id, "member's");
    expect(codes(await gql(app, DeleteFileDocument, { id: owners }, { token: member.token }))).toEqual(['FORBIDDEN']);
    expect((await fileRows(a.id)).find((r) => r.id === owners)?.status).toBe('ready');
    expect((await activityOf(app, a.owner.token)).map((e) => `${e.action} ${e.targetId}`)).toContain(`file.delete.denied ${owners}`);
    expect((await gqlOk(app, DeleteFileDocument, { id: members }, { token: member.token })).deleteFile).toBe(members);
    expect((await gqlOk(app, DeleteFileDocument, { id: owners }, { token: a.owner.token })).deleteFile).toBe(owners);
  });

  it('a VIEWER cannot request an upload', async () => {
    const viewer = a.users.find((u) => u.role === 'VIEWER')!;
    const input = { documentId: a.documents[0]!.id, filename: 'x.txt', contentType: 'text/plain', byteSize: 1, sha256: sha256Hex('x') };
    const { RequestFileUploadDocument } = await import('../src/client/generated/graphql.js');
    expect(codes(await gql(app, RequestFileUploadDocument, { input }, { token: viewer.token }))).toEqual(['FORBIDDEN']);
  });
});

describe('signed URLs', () => {
  it('an edited URL (other key, other method, later expiry, other size) or a forged one is refused with 403 and a code', async () => {
    const bytes = 'signed';
    const upload = await requestUpload(app, a.owner.token, a.documents[0]!.id, bytes);
    const token = upload.uploadUrl.split('/files/')[1]!;
    const [payload, signature] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const edited = (change: Record<string, unknown>) =>
      `${app.url}/files/${Buffer.from(JSON.stringify({ ...claims, ...change })).toString('base64url')}.${signature}`;
    const headers = upload.uploadHeaders;
    for (const url of [edited({ k: `${b.id}/${randomUUID()}` }), edited({ e: (claims.e as number) + 3600 }), edited({ s: 1000 })]) {
      const put = await putBytes(url, headers, bytes);
      expect(put).toEqual({ status: 403, body: { error: { code: 'SIGNATURE_INVALID', message: expect.any(String) } } });
    }
    // The upload URL used for GET: signed for PUT only.
    const get = await fetch(upload.uploadUrl);
    expect(get.status).toBe(403);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_SIGNED');
    // Signed with another secret.
    const forged = signToken(new TextEncoder().encode('y'.repeat(40)), claims as never);
    expect((await putBytes(`${app.url}/files/${forged}`, headers, bytes)).status).toBe(403);
    // The untouched URL still works.
    expect((await putBytes(upload.uploadUrl, headers, bytes)).status).toBe(200);
  });

  it('an expired URL is refused', async () => {
    const key = `${a.id}/${randomUUID()}`;
    const token = signToken(secret(), { m: 'GET', k: key, e: Math.floor(Date.now() / 1000) - 1, t: 'text/plain', n: 'x' });
    const res = await fetch(`${app.url}/files/${token}`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('URL_EXPIRED');
  });

  it('a body larger than signed is refused (413) and stores nothing; other bytes are refused (400)', async () => {
    const upload = await requestUpload(app, a.owner.token, a.documents[1]!.id, 'four');
    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, 'four and more')).status).toBe(413);
    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, 'FOUR')).status).toBe(400);
    const key = `${a.id}/${upload.file.id}`;
    expect(objectOnDisk(key)).toBe(false);
    // Nothing stored: completing discards the file.
    expect(codes(await gql(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token }))).toEqual(['BAD_USER_INPUT']);
    expect((await fileRows(a.id)).some((r) => r.id === upload.file.id)).toBe(false);
  });

  it('bytes that differ from the declaration at completion (a store that does not check) leave nothing visible', async () => {
    const upload = await requestUpload(app, a.owner.token, a.documents[1]!.id, 'declared');
    const path = join(app.config.storage.localDir, a.id, upload.file.id);
    await mkdir(join(app.config.storage.localDir, a.id), { recursive: true });
    await writeFile(path, 'DECLARED');
    expect(codes(await gql(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token }))).toEqual(['BAD_USER_INPUT']);
    expect(existsSync(path)).toBe(false);
    expect((await fileRows(a.id)).some((r) => r.id === upload.file.id)).toBe(false);
    expect(await filesOf(a, a.documents[1]!.id)).toEqual([]);
  });
});

describe('limits', () => {
  it('content type, size and checksum are checked; the quota answers QUOTA_EXCEEDED', async () => {
    const { RequestFileUploadDocument } = await import('../src/client/generated/graphql.js');
    const base = { documentId: c.documents[0]!.id, filename: 'x.txt', contentType: 'text/plain', byteSize: 1, sha256: sha256Hex('x') };
    const ask = (input: Partial<typeof base>) => gql(app, RequestFileUploadDocument, { input: { ...base, ...input } }, { token: c.owner.token });
    expect(codes(await ask({ contentType: 'text/html' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await ask({ byteSize: 41 }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await ask({ sha256: 'nothex' }))).toEqual(['BAD_USER_INPUT']);
    // Bidirectional controls would let `invoice\u202Efdp.exe` show as `invoiceexe.pdf`.
    for (const filename of ['invoice\u202Efdp.exe', 'a\u2067b.txt', 'a\u200Fb.txt']) expect(codes(await ask({ filename }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await ask({ byteSize: 40 }))).toEqual([]);
    expect(codes(await ask({ byteSize: 24 }))).toEqual([]); // 64: exactly the quota
    const over = await ask({ byteSize: 1 });
    expect(codes(over)).toEqual(['QUOTA_EXCEEDED']);
    // A refusal by the action's own rule is in the audit trail.
    expect((await activityOf(app, c.owner.token)).map((e) => e.action)).toContain('file.upload.request.denied');
  });
});

describe('isolation', () => {
  it("A cannot complete, list, download or delete B's files; B's file id answers like a random id", async () => {
    const bFile = await uploadFile(app, b.owner.token, b.documents[0]!.id, 'b');
    await expectFileHiddenFrom(app, a.owner.token, bFile, b.documents[0]!.id);
    expect((await fileRows(b.id)).find((r) => r.id === bFile)?.status).toBe('ready');
  });
});

describe('read and write (export and import)', () => {
  it('write stores exactly byteSize bytes (else keeps what was there), read streams them back, null when none', async () => {
    await expectReadWrite(localProvider(app.config.storage.localDir, secret()), `${a.id}/${randomUUID()}`);
  });
});
