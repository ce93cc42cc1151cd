import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/password.js';
import type { VerifyReport } from '../src/cli/verify.js';
import { hashJsonRows, formatHash } from '../src/tenancy/mobility/content-hash.js';
import { exportOrganization } from '../src/tenancy/mobility/export-organization.js';
import { importOrganization } from '../src/tenancy/mobility/import-organization.js';
import { organizationEntries } from '../src/tenancy/mobility/organization-entries.js';
import { compareOrganization, digestOrganizationAt, type OrganizationDigest } from '../src/tenancy/mobility/verify.js';
import { startApp } from './support/app.js';
import { createTestDatabase, withSql } from './support/database.js';
import { gql } from './support/graphql.js';
import { newMember, seedOrganization, type SeededOrganization } from './support/organization-seed.js';
import { tenant } from './support/tenant-cli.js';

// Verification, export and import of one organization (issue 11), on real databases: the CLI as
// child processes where its exit codes and messages matter, the functions directly elsewhere.

const PASSWORD = 'archive test password';
let dir: string;
let passwordHash: string;
// The source deployment: shared database + dedicated placements alpha and beta.
let source: { shared: string; alpha: string; beta: string; env: Record<string, string> };
let x: SeededOrganization; // the organization under test, on alpha
let y: SeededOrganization; // a neighbour on the same databases
const owner = () => xMembers[0]!;
let xMembers: ReturnType<typeof newMember>[];

const sql = <T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []) => withSql(url, async (c) => (await c.query(text, params)).rows as T[]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tenantql-archive-'));
  passwordHash = await hashPassword(PASSWORD);
  const [shared, alpha, beta] = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
  source = { shared, alpha, beta, env: { DATABASE_URL: shared, PLACEMENT_ALPHA_URL: alpha, PLACEMENT_BETA_URL: beta } };
  // Each database named as the server's first start names it (the placement fence reads it).
  await Promise.all([sql(alpha, `insert into "placement_identity" ("name") values ('alpha')`), sql(beta, `insert into "placement_identity" ("name") values ('beta')`)]);
  xMembers = [newMember('OWNER', passwordHash, 'olga'), newMember('MEMBER', passwordHash, 'mike'), newMember('VIEWER', passwordHash, 'vera')];
  x = await seedOrganization(shared, { name: 'alpha', url: alpha }, { name: 'Initech', members: xMembers, documents: 25 });
  // The neighbour shares a member with x, lives on the same placement and has rows in every table too.
  y = await seedOrganization(shared, { name: 'alpha', url: alpha }, { name: 'Umbrella', members: [newMember('OWNER', passwordHash, 'uma'), xMembers[1]!], documents: 4 });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The organization's digest on a database, as verify computes it. */
const digest = (url: string, id: string, chunkRows?: number) => digestOrganizationAt(url, id, chunkRows);

/**
 * b's activity_event entry recomputed without the events the tools wrote after `a` was taken
 * (actions `extra`, ids a does not have), with the number of events left out.
 */
async function activityWithout(aUrl: string, bUrl: string, id: string, extra: string[]): Promise<{ digest: { rows: number; hash: string }; left: number }> {
  const known = (await sql<{ id: string }>(aUrl, `select "id" from "activity_event" where "organization_id" = $1`, [id])).map((r) => r.id);
  return withSql(bUrl, async (c) => {
    const entry = (await organizationEntries(c)).find((e) => e.name === 'activity_event')!;
    const all = (await c.query(`select row_to_json(t) as r from "activity_event" t where "organization_id" = $1`, [id])).rows.map((r) => r.r as { id: string; action: string });
    const kept = all.filter((e) => known.includes(e.id) || !extra.includes(e.action));
    const sum = await hashJsonRows(c, entry, kept);
    return { digest: { rows: sum.rows, hash: formatHash(sum) }, left: all.length - kept.length };
  });
}

/** Both digests agree on every entry but activity_event, where b has `added` more events of the `extra` actions and otherwise a's exactly. */
async function expectSameData(a: OrganizationDigest, aUrl: string, b: OrganizationDigest, bUrl: string, extra: string[], added: number) {
  const differing = compareOrganization(a, b).entries.filter((e) => !e.match).map((e) => e.name);
  expect(differing).toEqual(['activity_event']);
  expect(await activityWithout(aUrl, bUrl, b.organizationId, extra)).toEqual({ digest: a.entries.activity_event, left: added });
}

describe('verify', () => {
  it('hashes the same whatever the chunk size, the session time zone or the PostgreSQL version', async () => {
    const whole = await digest(source.alpha, x.id);
    expect(whole.entries).toMatchObject({ organization: { rows: 1 }, user: { rows: 3 }, membership: { rows: 3 }, document: { rows: 25 }, comment: { rows: 3 }, invitation: { rows: 1 }, activity_event: { rows: 25 } });
    expect(await digest(source.alpha, x.id, 4)).toEqual(whole);
    // A fixed row, hashed in another time zone: the constant holds on PostgreSQL 15 and 18 alike (CI runs both).
    const fixed = await withSql(source.alpha, async (c) => {
      await c.query(`set timezone to 'Asia/Kathmandu'`);
      const entry = (await organizationEntries(c)).find((e) => e.name === 'document')!;
      const row = { id: '11111111-2222-4333-8444-555555555555', organization_id: '66666666-7777-4888-9999-aaaaaaaaaaaa', title: 'Fixed "title", ünïcödé', body: 'line\nbreak', created_by_id: null, created_at: '2026-11-02T10:00:00.1Z', updated_at: '2026-11-02T10:00:00.123+05:45', archived_at: null };
      return formatHash(await hashJsonRows(c, entry, [row]));
    });
    expect(fixed).toBe('2f7b816eb0e37551ec68dbbf14a4c493');
  });

  it('finds a row changed behind its back, reports only that table, and never counts another organization', async () => {
    // A second copy of x on beta, as a move would leave one (its directory row in a scratch shared database).
    const file = join(dir, 'copy.ndjson.gz');
    await exportOrganization({ organizationId: x.id, placement: 'alpha', url: source.alpha, epoch: 1 }, file);
    await importOrganization(file, { placement: 'beta', url: source.beta, sharedUrl: await createTestDatabase(), mode: 'multi_tenant' });
    // The import's own audit event is the one difference a copy has: take it out, as if the copy were a move's.
    await sql(source.beta, `delete from "activity_event" where "organization_id" = $1 and "action" = 'organization.import'`, [x.id]);

    const alike = async () => compareOrganization(await digest(source.alpha, x.id), await digest(source.beta, x.id));
    expect(await alike()).toMatchObject({ equal: true });

    // The neighbour changes on both databases: x's verdict does not move, and none of y's rows are counted.
    await sql(source.alpha, `update "document" set "title" = 'y changed' where "organization_id" = $1`, [y.id]);
    await sql(source.beta, `insert into "organization" ("id", "name", "slug", "placement") values ($1, 'Umbrella', $2, 'beta')`, [y.id, y.slug]);
    expect(await alike()).toMatchObject({ equal: true });

    await sql(source.beta, `update "document" set "title" = 'changed behind the move' where "organization_id" = $1 and "id" = $2`, [x.id, x.documentIds[7]]);
    const [json, table] = await Promise.all([tenant(['verify', x.slug, '--against', 'beta', '--json'], source.env), tenant(['verify', x.slug, '--against', 'beta'], source.env)]);
    expect(json.code, json.stderr).toBe(1);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.equal).toBe(false);
    expect(report.entries.filter((e) => !e.match).map((e) => e.name)).toEqual(['document']);
    expect(report.entries.find((e) => e.name === 'document')).toMatchObject({ a: { rows: 25 }, b: { rows: 25 } });
    expect(report.entries.find((e) => e.name === 'membership')).toMatchObject({ a: { rows: 3 }, b: { rows: 3 }, match: true });
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^document\s+25\s+25\s+[0-9a-f]{32}\s+[0-9a-f]{32}\s+NO$/m);
    expect(table.stdout).toContain('differ in document.');
  });
});

describe('export and import', () => {
  let archive: string;
  let target: { shared: string; gamma: string; env: Record<string, string> };

  beforeAll(async () => {
    archive = join(dir, 'initech.ndjson.gz');
    const [shared, gamma] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    target = { shared, gamma, env: { DATABASE_URL: shared, PLACEMENT_GAMMA_URL: gamma } };
  });

  it('round trip: multi-tenant -> archive -> another multi-tenant deployment gives the same data, the audit trail included', async () => {
    const exportEvents = () => sql(source.alpha, `select "actor_id", "request_id" from "activity_event" where "organization_id" = $1 and "action" = 'organization.export' order by "created_at"`, [x.id]);
    const eventsBefore = (await exportEvents()).length;
    const exported = await tenant(['export', x.id, '--out', archive, '--json'], source.env);
    expect(exported.code, exported.stderr).toBe(0);
    const before = await digest(source.alpha, x.id);
    // The archive holds the export's own audit event: the source and the manifest agree exactly.
    expect(JSON.parse(exported.stdout).entries).toEqual(before.entries);
    const events = await exportEvents();
    expect(events).toHaveLength(eventsBefore + 1);
    expect(events.at(-1)).toEqual({ actor_id: null, request_id: 'npm run tenant' });
    const text = gunzipSync(await readFile(archive)).toString('utf8');
    expect(text).not.toContain('password_hash');
    expect(text).not.toContain(y.id);

    const imported = await tenant(['import', archive, '--to', 'gamma', '--json'], target.env);
    expect(imported.code, imported.stderr).toBe(0);
    const result = JSON.parse(imported.stdout);
    expect(result.verification.equal).toBe(true);
    expect(result.users).toEqual({ matched: 0, created: 3, withoutPassword: 3 });
    await expectSameData(before, source.alpha, await digest(target.gamma, x.id), target.gamma, ['organization.import'], 1);

    // The directory, accounts (no password hash: not exported) and the membership index in the target's shared database.
    expect(await sql(target.shared, `select "placement", "state", "placement_epoch", "tier" from "organization" where "id" = $1`, [x.id])).toEqual([{ placement: 'gamma', state: 'active', placement_epoch: 1, tier: 'enterprise' }]);
    expect(await sql(target.shared, `select count(*)::int as n, count("password_hash")::int as hashes from "user"`)).toEqual([{ n: 3, hashes: 0 }]);
    expect(await sql(target.shared, `select count(*)::int as n from "membership" where "organization_id" = $1`, [x.id])).toEqual([{ n: 3 }]);
    expect(await sql(target.gamma, `select "actor_id", "request_id" from "activity_event" where "organization_id" = $1 and "action" = 'organization.import'`, [x.id])).toEqual([{ actor_id: null, request_id: 'npm run tenant' }]);
  });

  it('refuses an organization the target already has, a tampered, truncated or unknown-schema archive (writing nothing) and a bad command line', async () => {
    const tampered = join(dir, 'tampered.ndjson.gz');
    const truncated = join(dir, 'truncated.ndjson.gz');
    const future = join(dir, 'future.ndjson.gz');
    const lines = gunzipSync(await readFile(archive)).toString('utf8').split('\n');
    const edit = lines.findIndex((l) => l.includes('"table":"document"'));
    const forgedLine = JSON.parse(lines[edit]!);
    forgedLine.row.title = 'forged';
    await writeFile(tampered, gzipSync(lines.map((l, i) => (i === edit ? JSON.stringify(forgedLine) : l)).join('\n')));
    await writeFile(truncated, gzipSync(lines.slice(0, -3).join('\n')));
    const manifest = JSON.parse(lines[0]!);
    await writeFile(future, gzipSync([JSON.stringify({ ...manifest, schemaVersion: 'Migration29991231000000_future' }), ...lines.slice(1)].join('\n')));
    const fresh = { DATABASE_URL: await createTestDatabase() };

    const intoFresh = (file: string) => importOrganization(file, { placement: 'shared', url: fresh.DATABASE_URL, sharedUrl: fresh.DATABASE_URL, mode: 'multi_tenant' });
    await expect(intoFresh(truncated)).rejects.toThrow(/ends before its last line: the archive is truncated\.$/);
    await expect(intoFresh(future)).rejects.toThrow(/schema version Migration29991231000000_future is not one this program knows/);
    // A row moved to another organization, with the manifest's hash recomputed to match: still refused.
    const documents = lines.filter((l) => l.includes('"table":"document"')).map((l) => JSON.parse(l).row as { organization_id: string });
    documents[0]!.organization_id = y.id;
    const hash = await withSql(fresh.DATABASE_URL, async (c) => formatHash(await hashJsonRows(c, (await organizationEntries(c)).find((e) => e.name === 'document')!, documents)));
    const rehashed = { ...manifest, entries: { ...manifest.entries, document: { ...manifest.entries.document, hash } } };
    const moved = join(dir, 'moved.ndjson.gz');
    let next = 0;
    const movedLines = lines.map((l, i) => (i === 0 ? JSON.stringify(rehashed) : l.includes('"table":"document"') ? JSON.stringify({ kind: 'row', table: 'document', row: documents[next++] }) : l));
    await writeFile(moved, gzipSync(movedLines.join('\n')));
    await expect(intoFresh(moved)).rejects.toThrow(/document rows include rows of another organization/);

    const [again, forged, noAgainst, samePlacement, unknownOrganization, help] = await Promise.all([
      tenant(['import', archive, '--to', 'gamma'], target.env),
      tenant(['import', tampered, '--to', 'shared'], fresh),
      tenant(['verify', x.slug], source.env),
      tenant(['verify', x.slug, '--against', 'alpha'], source.env),
      tenant(['verify', 'no-such-org', '--against', 'beta'], source.env),
      tenant(['--help'], {}),
    ]);
    for (const command of ['verify <org> --against <placement>', 'export <org> --out <file> [--include-password-hashes]', 'import <file> --to <placement>']) expect(help.stdout).toContain(command);
    // A bad command line is exit code 2; an organization that does not exist, 1.
    expect([noAgainst.code, samePlacement.code, unknownOrganization.code]).toEqual([2, 2, 1]);
    expect(noAgainst.stderr).toMatch(/needs --against/);
    expect(unknownOrganization.stderr.trim()).toBe('No organization has the id or slug no-such-org: `npm run tenant -- list` shows them.');
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toMatch(new RegExp(`^Organization ${x.id} already exists in this deployment`));
    expect(forged.code).toBe(1);
    expect(forged.stderr.trim()).toMatch(/^The archive's document rows do not match its manifest/);
    for (const r of [again, forged]) expect(r.stderr).not.toMatch(/\n\s+at |postgres(ql)?:\/\//);
    expect(await sql(fresh.DATABASE_URL, `select (select count(*)::int from "organization") as orgs, (select count(*)::int from "user") as users, (select count(*)::int from "document") as docs`)).toEqual([{ orgs: 0, users: 0, docs: 0 }]);
  });

  it('export refuses an existing --out file (exit 1, the file untouched, no audit event) unless --force replaces it', async () => {
    const existing = join(dir, 'existing.ndjson.gz');
    await writeFile(existing, 'keep me');
    const exportEvents = async () => (await sql(source.alpha, `select count(*)::int as n from "activity_event" where "organization_id" = $1 and "action" = 'organization.export'`, [x.id]))[0]!.n;
    const eventsBefore = await exportEvents();
    const refused = await tenant(['export', x.slug, '--out', existing], source.env);
    expect([refused.code, refused.stdout]).toEqual([1, '']);
    expect(refused.stderr.trim()).toBe(`${existing} exists already: choose another --out, or add --force to replace it.`);
    expect(await readFile(existing, 'utf8')).toBe('keep me');
    expect(await exportEvents()).toBe(eventsBefore);
    const forced = await tenant(['export', x.slug, '--out', existing, '--force', '--json'], source.env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(gunzipSync(await readFile(existing)).toString('utf8')).toContain('"kind":"manifest"');
  });

  it('multi -> single -> multi: the single-tenant deployment serves the organization and its members sign in; back in multi-tenant, the same data', async () => {
    const withHashes = join(dir, 'with-hashes.ndjson.gz');
    const exported = await tenant(['export', x.slug, '--out', withHashes, '--include-password-hashes'], source.env);
    expect(exported.code, exported.stderr).toBe(0);
    const before = await digest(source.alpha, x.id);

    const customer = await createTestDatabase();
    const single = { DEPLOYMENT_MODE: 'single_tenant', CUSTOMER_DATABASE_URL: customer, JWT_SECRET: 'x'.repeat(40) };
    const wrongId = importOrganization(withHashes, { placement: 'shared', url: customer, sharedUrl: customer, mode: 'single_tenant', defaultOrganizationId: randomUUID() });
    await expect(wrongId).rejects.toThrow(`set DEFAULT_ORGANIZATION_ID=${x.id}`);
    const intoSingle = await tenant(['import', withHashes, '--to', 'shared'], { ...single, DEFAULT_ORGANIZATION_ID: x.id });
    expect(intoSingle.code, intoSingle.stderr).toBe(0);
    await expectSameData(before, source.alpha, await digest(customer, x.id), customer, ['organization.import'], 1);

    const app = await startApp({ DEPLOYMENT_MODE: 'single_tenant', DEFAULT_ORGANIZATION_ID: x.id }, customer);
    try {
      const login = await gql<{ login: { accessToken: string } }, object>(app, `mutation { login(input: { email: "${owner().email}", password: "${PASSWORD}" }) { accessToken } }`);
      expect(login.errors, login.raw).toBeUndefined();
      const docs = await gql<{ documents: { edges: unknown[] } }, object>(app, '{ documents(first: 100) { edges { node { id } } } }', {}, { token: login.data!.login.accessToken });
      expect(docs.errors, docs.raw).toBeUndefined();
      expect(docs.data!.documents.edges.length).toBe(20); // 25, of which 5 archived
    } finally {
      await app.close();
    }

    const back = join(dir, 'back.ndjson.gz');
    const fromSingle = await tenant(['export', x.id, '--out', back, '--include-password-hashes'], { ...single, DEFAULT_ORGANIZATION_ID: x.id });
    expect(fromSingle.code, fromSingle.stderr).toBe(0);
    const multi = await createTestDatabase();
    const intoMulti = await tenant(['import', back, '--to', 'shared'], { DATABASE_URL: multi });
    expect(intoMulti.code, intoMulti.stderr).toBe(0);
    await expectSameData(before, source.alpha, await digest(multi, x.id), multi, ['organization.import', 'organization.export'], 3);
    // The audit trail says what happened, in order, after the source's own export.
    const trail = await sql<{ action: string }>(multi, `select "action" from "activity_event" where "organization_id" = $1 and "action" like 'organization.%' order by "created_at", "action"`, [x.id]);
    expect(trail.map((t) => t.action).slice(-3)).toEqual(['organization.import', 'organization.export', 'organization.import']);
    // The password hashes travelled (asked for): the members can sign in on the multi-tenant deployment too.
    expect(await sql(multi, `select count("password_hash")::int as n from "user"`)).toEqual([{ n: 3 }]);
  });

  it('works as a database owner that row-level security binds (neither superuser nor BYPASSRLS): the organization is entered for every statement', async () => {
    const url = await createTestDatabase();
    const role = `tenantql_test_mover_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await withSql(url, async (c) => {
      await c.query(`create role "${role}" login nosuperuser nobypassrls password '${password}'`);
      await c.query(`grant connect on database "${new URL(url).pathname.slice(1)}" to "${role}"`);
      await c.query(`grant select, insert, update, delete on all tables in schema public to "${role}"`);
      await c.query(`grant execute on function enter_tenant(uuid, uuid, integer) to "${role}"`);
    });
    const asRole = new URL(url);
    asRole.username = role;
    asRole.password = password;
    const mover = asRole.toString();
    try {
      const result = await importOrganization(archive, { placement: 'shared', url: mover, sharedUrl: mover, mode: 'multi_tenant' });
      expect(result.verification.equal).toBe(true);
      const asOwner = await digest(url, x.id);
      expect(asOwner.entries.document).toMatchObject({ rows: 25 });
      expect(await digest(mover, x.id)).toEqual(asOwner);
      const again = join(dir, 'as-role.ndjson.gz');
      const manifest = await exportOrganization({ organizationId: x.id, placement: 'shared', url: mover, epoch: 1 }, again);
      expect(manifest.entries.document).toMatchObject({ rows: 25, hash: asOwner.entries.document!.hash });
    } finally {
      await withSql(url, async (c) => {
        await c.query(`drop owned by "${role}"`);
        await c.query(`drop role "${role}"`);
      });
    }
  });

  it('matches an existing account by email, whose id and password stay, and remaps its rows', async () => {
    const shared = await createTestDatabase();
    const existing = randomUUID();
    await sql(shared, `insert into "user" ("id", "email", "name", "password_hash") values ($1, $2, 'Already Here', 'existing-hash')`, [existing, owner().email]);
    const result = await importOrganization(archive, { placement: 'shared', url: shared, sharedUrl: shared, mode: 'multi_tenant' });
    expect(result.users).toEqual({ matched: 1, created: 2, withoutPassword: 2 });
    expect(result.verification.equal).toBe(true);
    expect(await sql(shared, `select "role" from "membership" where "organization_id" = $1 and "user_id" = $2`, [x.id, existing])).toEqual([{ role: 'OWNER' }]);
    expect(await sql(shared, `select "password_hash", "name" from "user" where "id" = $1`, [existing])).toEqual([{ password_hash: 'existing-hash', name: 'Already Here' }]);
    expect(await sql(shared, `select count(*)::int as n from "user" where "id" = $1`, [owner().id])).toEqual([{ n: 0 }]);
    // Every document the owner wrote names the existing account now.
    const authors = await sql<{ id: string }>(shared, `select distinct "created_by_id" as id from "document" where "organization_id" = $1`, [x.id]);
    expect(authors.map((a) => a.id).sort()).toEqual([existing, xMembers[1]!.id, xMembers[2]!.id].sort());
  });
});
