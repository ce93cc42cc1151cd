import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompleteFileUploadDocument, DeleteDocumentDocument, DeleteFileDocument, DocumentsWithFilesDocument, RequestFileUploadDocument } from '../src/client/generated/graphql.js';
import { abandonedBefore } from '../src/modules/file/file-lifecycle.js';
import { sweepFiles } from '../src/modules/file/file-sweep.js';
import { localProvider } from '../src/storage/local/local-provider.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { putBytes, requestUpload, sha256Hex, uploadFile } from './support/files-helpers.js';
import { codes, gql, gqlOk } from './support/graphql.js';
import { statementsDuring } from './support/statements.js';

// When a file's bytes go: only after the row's delete has committed (the file_deletion outbox),
// abandoned uploads stop counting and are swept, the quota check is serialized per organization,
// and Document.files is one statement per page. Real HTTP, real PostgreSQL, the `local` store.

const QUOTA = 100;
let app: TestApp;
let a: TestOrg;
let b: TestOrg;
/** Its quota is raced in the concurrency test. */
let c: TestOrg;
/** Its quota is filled by an upload that is then abandoned. */
let d: TestOrg;

beforeAll(async () => {
  app = await startApp({ STORAGE_QUOTA_BYTES_PER_ORGANIZATION: String(QUOTA), STORAGE_MAX_FILE_BYTES: '40', STORAGE_SIGNING_SECRET: 'x'.repeat(40) });
  [a, b, c, d] = await Promise.all([
    createOrg(app, { roles: ['OWNER'], documents: 3 }),
    createOrg(app, { roles: ['OWNER'], documents: 1 }),
    createOrg(app, { roles: ['OWNER'], documents: 1 }),
    createOrg(app, { roles: ['OWNER'], documents: 1 }),
  ]);
});
afterAll(() => app?.close());

const onDisk = (orgId: string, fileId: string) => existsSync(join(app.config.storage.localDir, orgId, fileId));
const store = () => localProvider(app.config.storage.localDir, app.config.storage.signingSecret);
const sweep = (now?: Date) => sweepFiles(app.router.pools, store(), app.config.storage, now);
const owner = <T>(fn: Parameters<typeof withSql<T>>[1]) => withSql(app.databaseUrl, fn);
const queued = (key: string) => owner(async (db) => (await db.query('select 1 from file_deletion where object_key = $1', [key])).rowCount);
const fileRow = (orgId: string, fileId: string) => owner(async (db) => (await db.query('select status from file where organization_id = $1 and id = $2', [orgId, fileId])).rows[0]);

describe('deleting bytes after the commit', () => {
  it('deleteFile: the object is gone when the answer arrives, its upload URL cannot put it back, its key stays queued until that URL has expired', async () => {
    const upload = await requestUpload(app, a.owner.token, a.documents[0]!.id, 'to delete');
    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, 'to delete')).status).toBe(200);
    await gqlOk(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: a.owner.token });
    const id = upload.file.id;
    const bKeep = await uploadFile(app, b.owner.token, b.documents[0]!.id, 'b stays');
    expect(onDisk(a.id, id)).toBe(true);
    await gqlOk(app, DeleteFileDocument, { id }, { token: a.owner.token });
    expect(onDisk(a.id, id)).toBe(false);
    // The upload URL is still within its lifetime: replaying it is refused, nothing is written.
    const replay = await putBytes(upload.uploadUrl, upload.uploadHeaders, 'to delete');
    expect([replay.status, replay.body.error?.code]).toEqual([410, 'OBJECT_DELETED']);
    expect(onDisk(a.id, id)).toBe(false);
    expect(await queued(`${a.id}/${id}`)).toBe(1);
    // Swept while that URL could still be used (S3 or Azure would accept it): deleted again, kept queued.
    let report = await sweep();
    expect(report.filter((r) => r.error !== undefined)).toEqual([]);
    expect(await queued(`${a.id}/${id}`)).toBe(1);
    // Once it has expired, forgotten.
    report = await sweep(new Date(Date.now() + (app.config.storage.urlTtlSeconds + 1) * 1000));
    expect(report.filter((r) => r.error !== undefined)).toEqual([]);
    expect(await queued(`${a.id}/${id}`)).toBe(0);
    // Another organization's file: row and bytes untouched by the delete and the sweep.
    expect(onDisk(b.id, bKeep)).toBe(true);
    expect((await fileRow(b.id, bKeep))?.status).toBe('ready');
  });

  it("deleting a document deletes its files' bytes (the cascade queues them); another document's stay", async () => {
    const doomed = await uploadFile(app, a.owner.token, a.documents[1]!.id, 'goes with its document');
    const kept = await uploadFile(app, a.owner.token, a.documents[2]!.id, 'other document');
    await gqlOk(app, DeleteDocumentDocument, { id: a.documents[1]!.id }, { token: a.owner.token });
    expect(onDisk(a.id, doomed)).toBe(false);
    expect(await fileRow(a.id, doomed)).toBeUndefined();
    expect(onDisk(a.id, kept)).toBe(true);
    // Deleted behind the server's back (no after-commit step): the queue alone gets the bytes deleted by the sweep.
    await owner((db) => db.query('delete from file where organization_id = $1 and id = $2', [a.id, kept]));
    expect(onDisk(a.id, kept)).toBe(true);
    await sweep();
    expect(onDisk(a.id, kept)).toBe(false);
  });

  it('a rolled-back delete queues nothing and keeps the bytes, through the sweep too', async () => {
    const id = await uploadFile(app, a.owner.token, a.documents[0]!.id, 'survives a rollback');
    await owner(async (db) => {
      await db.query('begin');
      expect((await db.query('delete from file where organization_id = $1 and id = $2', [a.id, id])).rowCount).toBe(1);
      await db.query('rollback');
    });
    expect(await queued(`${a.id}/${id}`)).toBe(0);
    await sweep();
    expect(onDisk(a.id, id)).toBe(true);
    expect((await fileRow(a.id, id))?.status).toBe('ready');
  });

  it("a request's after-commit work runs only when it commits", async () => {
    const ran: string[] = [];
    for (const commit of [false, true]) {
      const routed = (await app.router.openSession(a.id, a.owner.id))!;
      routed.session.afterCommit(async () => void ran.push(String(commit)));
      await routed.session.end(commit);
    }
    expect(ran).toEqual(['true']);
  });
});

describe('abandoned uploads', () => {
  it('stop counting against the quota once expired plus the grace, and cannot be completed then', async () => {
    const bytes = 'x'.repeat(40);
    await uploadFile(app, d.owner.token, d.documents[0]!.id, bytes);
    const upload = await requestUpload(app, d.owner.token, d.documents[0]!.id, bytes);
    expect((await putBytes(upload.uploadUrl, upload.uploadHeaders, bytes)).status).toBe(200);
    const askFor = (n: number) => {
      const input = { documentId: d.documents[0]!.id, filename: 'y.txt', contentType: 'text/plain', byteSize: n, sha256: sha256Hex('y'.repeat(n)) };
      return gql(app, RequestFileUploadDocument, { input }, { token: d.owner.token });
    };
    // 80 of 100 bytes used, the pending upload included: 21 more are refused.
    expect(codes(await askFor(21))).toEqual(['QUOTA_EXCEEDED']);
    // Created before the cut-off (URL lifetime plus the grace): abandoned, no longer counted.
    const old = new Date(abandonedBefore(app.config.storage).getTime() - 1000);
    await owner((db) => db.query('update file set created_at = $3 where organization_id = $1 and id = $2', [d.id, upload.file.id, old]));
    expect(codes(await askFor(21))).toEqual([]);
    // A late completion is refused and discards it (bytes after the commit).
    expect(codes(await gql(app, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: d.owner.token }))).toEqual(['BAD_USER_INPUT']);
    expect(await fileRow(d.id, upload.file.id)).toBeUndefined();
    expect(onDisk(d.id, upload.file.id)).toBe(false);
  });

  it('the sweep deletes abandoned uploads of every organization, and nothing else', async () => {
    const bytes = 'abandoned';
    const [ua, ub] = await Promise.all([requestUpload(app, a.owner.token, a.documents[0]!.id, bytes), requestUpload(app, b.owner.token, b.documents[0]!.id, bytes)]);
    for (const u of [ua, ub]) expect((await putBytes(u.uploadUrl, u.uploadHeaders, bytes)).status).toBe(200);
    const fresh = await requestUpload(app, b.owner.token, b.documents[0]!.id, 'fresh');
    const ready = await uploadFile(app, b.owner.token, b.documents[0]!.id, 'ready');
    const old = new Date(abandonedBefore(app.config.storage).getTime() - 1000);
    await owner((db) => db.query('update file set created_at = $2 where id = any($1::uuid[])', [[ua.file.id, ub.file.id], old]));
    await sweep();
    for (const [org, u] of [[a, ua], [b, ub]] as const) {
      expect(await fileRow(org.id, u.file.id)).toBeUndefined();
      expect(onDisk(org.id, u.file.id)).toBe(false);
    }
    expect((await fileRow(b.id, fresh.file.id))?.status).toBe('pending');
    expect((await fileRow(b.id, ready))?.status).toBe('ready');
    expect(onDisk(b.id, ready)).toBe(true);
  });
});

describe('quota under concurrency', () => {
  it('concurrent requestFileUpload calls over HTTP cannot pass the quota together', async () => {
    const input = { documentId: c.documents[0]!.id, filename: 'race.txt', contentType: 'text/plain', byteSize: 10, sha256: sha256Hex('0123456789') };
    const answers = await Promise.all(Array.from({ length: 14 }, () => gql(app, RequestFileUploadDocument, { input }, { token: c.owner.token })));
    const granted = answers.filter((r) => codes(r).length === 0).length;
    expect(answers.filter((r) => codes(r)[0] === 'QUOTA_EXCEEDED')).toHaveLength(14 - granted);
    expect(granted).toBe(Math.floor(QUOTA / 10));
    const used = await owner(async (db) => Number((await db.query('select sum(byte_size) as n from file where organization_id = $1', [c.id])).rows[0].n));
    expect(used).toBeLessThanOrEqual(QUOTA);
  });
});

describe('Document.files', () => {
  it('is one statement per page of documents, whatever its length', async () => {
    const org = await createOrg(app, { roles: ['OWNER'], documents: 12 });
    for (const [i, doc] of org.documents.entries()) await uploadFile(app, org.owner.token, doc.id, `file ${i}`);
    const page = async (first: number) => {
      const data = await gqlOk(app, DocumentsWithFilesDocument, { first }, { token: org.owner.token }); // warms the pool
      expect(data.documents.edges).toHaveLength(first);
      for (const { node } of data.documents.edges) expect(node.files).toHaveLength(1);
      return statementsDuring(() => gqlOk(app, DocumentsWithFilesDocument, { first }, { token: org.owner.token }));
    };
    const three = await page(3);
    const twelve = await page(12);
    expect(twelve.length, `first: 3\n${three.join('\n')}\n\nfirst: 12\n${twelve.join('\n')}`).toBe(three.length);
    for (const statements of [three, twelve]) expect(statements.filter((s) => /\bfrom "?file"? f\b/i.test(s))).toHaveLength(1);
  });
});
