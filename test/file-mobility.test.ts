import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentFilesDocument } from '../src/client/generated/graphql.js';
import { sweepFiles } from '../src/modules/file/file-sweep.js';
import { localProvider } from '../src/storage/local/local-provider.js';
import { moveOrganization } from '../src/tenancy/mobility/move.js';
import { purgeArchive } from '../src/tenancy/mobility/purge-archive.js';
import { startApp, type TestApp } from './support/app.js';
import { createTestDatabase, withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { sha256Hex, uploadFile } from './support/files-helpers.js';
import { gqlOk } from './support/graphql.js';
import { tenant } from './support/tenant-cli.js';

// Tenant mobility carries document files (issues 11 and 12): storage belongs to the deployment,
// so a move leaves the objects where they are; an archive carries the bytes to another
// deployment; verify checks them; erase deletes them. Real databases, HTTP and CLI processes.

let app: TestApp;
let urls: Record<string, string>;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  app = await startApp({ PLACEMENT_CACHE_TTL_MS: '600000' }, undefined, { placements: ['acme'] });
  urls = { shared: app.databaseUrl, ...app.placementUrls };
  dir = await mkdtemp(join(tmpdir(), 'tenantql-file-mobility-'));
  env = { DATABASE_URL: app.databaseUrl, PLACEMENT_ACME_URL: app.placementUrls.acme!, STORAGE_LOCAL_DIR: app.config.storage.localDir };
});
afterAll(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const store = (localDir = app.config.storage.localDir) => localProvider(localDir, app.config.storage.signingSecret);
const download = async (org: TestOrg, documentId: string) => {
  const files = (await gqlOk(app, DocumentFilesDocument, { id: documentId }, { token: org.owner.token })).document!.files;
  return Promise.all(files.map(async (f) => ({ id: f.id, body: await (await fetch(f.downloadUrl)).text() })));
};
const bytesOf = async (localDir: string, orgId: string, fileId: string) => readFile(join(localDir, orgId, fileId), 'utf8');

describe('a move between placements of one deployment', () => {
  it('leaves the objects where they are: a file uploaded before the move downloads after it and after the archive is purged and swept', async () => {
    const org = await createOrg(app, { placement: 'shared', documents: 1 });
    const fileId = await uploadFile(app, org.owner.token, org.documents[0]!.id, 'before the move');
    await moveOrganization({ organizationId: org.id, to: 'acme', urls });
    expect(await download(org, org.documents[0]!.id)).toEqual([{ id: fileId, body: 'before the move' }]);
    // The copy left on shared is purged: its file rows go, the objects (still the organization's) stay.
    await purgeArchive(org.id, urls);
    await sweepFiles(app.router.pools, store(), app.config.storage);
    expect(await download(org, org.documents[0]!.id)).toEqual([{ id: fileId, body: 'before the move' }]);
  });
});

describe('export, import, verify, erase', () => {
  let org: TestOrg;
  let other: TestOrg;
  const files: Record<string, string> = {};
  let archive: string;
  let target: { shared: string; localDir: string; env: Record<string, string> };

  beforeAll(async () => {
    [org, other] = await Promise.all([createOrg(app, { placement: 'acme', documents: 2 }), createOrg(app, { placement: 'acme', documents: 1 })]);
    // Multi-byte text, 0 bytes, and one larger than a read chunk (64 KiB): several `bytes` lines.
    for (const [i, body] of ['first file: é € 🙂', '', 'x'.repeat(100_000)].entries()) files[await uploadFile(app, org.owner.token, org.documents[i % 2]!.id, body)] = body;
    await uploadFile(app, other.owner.token, other.documents[0]!.id, 'the neighbour');
    archive = join(dir, 'org.ndjson.gz');
    const localDir = join(dir, 'target-files');
    const shared = await createTestDatabase();
    target = { shared, localDir, env: { DATABASE_URL: shared, STORAGE_LOCAL_DIR: localDir } };
  });

  it('export carries each completed file with its SHA-256; import into another deployment writes identical bytes', async () => {
    const exported = await tenant(['export', org.id, '--out', archive, '--json'], env);
    expect(exported.code, exported.stderr).toBe(0);
    const total = Object.values(files).reduce((n, b) => n + Buffer.byteLength(b), 0);
    expect(JSON.parse(exported.stdout).files).toEqual({ count: 3, bytes: total });
    const lines = gunzipSync(await readFile(archive)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const objects = lines.filter((l) => l.kind === 'object');
    expect(objects.map((o) => o.sha256).sort()).toEqual(Object.values(files).map((b) => sha256Hex(b)).sort());
    expect(JSON.stringify(lines)).not.toContain(other.id);

    const imported = await tenant(['import', archive, '--to', 'shared', '--json'], target.env);
    expect(imported.code, imported.stderr).toBe(0);
    for (const [id, body] of Object.entries(files)) expect(await bytesOf(target.localDir, org.id, id)).toBe(body);
    expect(existsSync(join(target.localDir, other.id))).toBe(false);
  });

  it('import refuses an archive whose bytes do not match their file rows, and keeps none of them', async () => {
    const lines = gunzipSync(await readFile(archive)).toString('utf8').trim().split('\n');
    const first = lines.findIndex((l) => l.startsWith('{"kind":"bytes"'));
    const data = Buffer.from((JSON.parse(lines[first]!) as { data: string }).data, 'base64');
    data[0] = data[0]! ^ 1; // one bit flipped
    lines[first] = JSON.stringify({ kind: 'bytes', data: data.toString('base64') });
    const tampered = join(dir, 'tampered.ndjson.gz');
    await writeFile(tampered, gzipSync(`${lines.join('\n')}\n`));
    const localDir = join(dir, 'refused-files');
    const shared = await createTestDatabase();
    const refused = await tenant(['import', tampered, '--to', 'shared'], { DATABASE_URL: shared, STORAGE_LOCAL_DIR: localDir });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/SHA-256/);
    expect(existsSync(join(localDir, org.id)) ? readdirSync(join(localDir, org.id)) : []).toEqual([]);
    expect(await withSql(shared, async (c) => (await c.query('select count(*)::int as n from organization where id = $1', [org.id])).rows[0].n)).toBe(0);
  });

  it('verify checks that every file has its bytes with the right hash', async () => {
    const verified = await tenant(['verify', org.id, '--against', 'shared', '--json'], env);
    const [missingId] = Object.keys(files);
    expect(JSON.parse(verified.stdout).objects).toEqual({ files: 3, missing: [], mismatched: [] });
    // One object changed behind the store's back, one removed.
    const [, changedId] = Object.keys(files);
    await writeFile(join(app.config.storage.localDir, org.id, changedId!), 'changed');
    await rm(join(app.config.storage.localDir, org.id, missingId!));
    const broken = await tenant(['verify', org.id, '--against', 'shared', '--json'], env);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout).objects).toEqual({ files: 3, missing: [missingId], mismatched: [changedId] });
  });

  it("erase deletes the organization's objects everywhere and checks them gone; the neighbour's stay", async () => {
    const slug = (await withSql(app.databaseUrl, (c) => c.query('select slug from organization where id = $1', [org.id]))).rows[0].slug as string;
    const erased = await tenant(['erase', org.id, '--confirm', slug, '--json'], env);
    expect(erased.code, erased.stderr).toBe(0);
    expect(JSON.parse(erased.stdout).objectsErased).toBe(3); // by its file rows (one object was already removed by the verify test)
    for (const id of Object.keys(files)) expect(existsSync(join(app.config.storage.localDir, org.id, id))).toBe(false);
    expect(await download(other, other.documents[0]!.id)).toEqual([{ id: expect.any(String), body: 'the neighbour' }]);
  });
});
