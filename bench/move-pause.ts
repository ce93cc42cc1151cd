import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { withDatabase } from '../src/db/embedded-placements.js';
import { migratePlacement } from '../src/db/placement-database.js';
import { moveOrganization } from '../src/tenancy/mobility/move.js';
import { freePort } from './processes.js';

// `npm run bench:move`: how long a move pauses an organization's writes, and how fast it copies,
// on this machine. A throw-away embedded PostgreSQL (wal_level=logical) with a shared and a
// dedicated placement database; one organization of --rows rows (documents, their comments and
// audit events) moved shared -> dedicated while a writer keeps inserting its documents.

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, mechanism: { type: 'string', default: 'auto' } } });
const total = Number(args.rows);
const logger = pino({ level: 'warn' });

const dir = await mkdtemp(join(tmpdir(), 'tenantql-move-bench-'));
await chmod(dir, 0o755);
const server = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), database: 'postgres', persistent: false, logger });
try {
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  for (const db of ['move_shared', 'move_dedicated']) await admin.query(`create database ${db}`);
  await admin.end();
  const urls = { shared: withDatabase(server.adminUrl, 'move_shared'), dedicated: withDatabase(server.adminUrl, 'move_dedicated') };
  for (const [name, url] of Object.entries(urls)) {
    const problems = await migratePlacement(url, name, 'multi_tenant', logger);
    if (problems.length) throw new Error(problems.join(' '));
  }

  const organizationId = randomUUID();
  const seedStart = Date.now();
  const shared = new pg.Client({ connectionString: urls.shared });
  await shared.connect();
  await shared.query('begin');
  await shared.query(`select set_config('app.organization_id', $1, true)`, [organizationId]);
  await shared.query(`insert into organization (id, name, slug) values ($1, 'Moving Co', 'moving-co')`, [organizationId]);
  const userId = randomUUID();
  await shared.query(`insert into "user" (id, email, name, password_hash) values ($1, 'owner@moving.test', 'Owner', 'x')`, [userId]);
  await shared.query(`insert into membership (organization_id, user_id, role) values ($1, $2, 'OWNER')`, [organizationId, userId]);
  // 60% documents, 25% comments, 15% audit events.
  const documents = Math.round(total * 0.6);
  const comments = Math.round(total * 0.25);
  const events = total - documents - comments - 1;
  await shared.query(
    `insert into document (id, organization_id, title, body, created_by_id, created_at, updated_at)
     select gen_random_uuid(), $1, 'Document ' || i, repeat('body text ', 20), $2, now() - i * interval '1 second', now() from generate_series(1, $3) i`,
    [organizationId, userId, documents],
  );
  await shared.query(
    `insert into comment (id, organization_id, document_id, author_id, body, created_at)
     select gen_random_uuid(), $1, d.id, $2, 'a comment', now() from (select id from document where organization_id = $1 limit $3) d`,
    [organizationId, userId, comments],
  );
  await shared.query(
    `insert into activity_event (id, organization_id, actor_id, action, target_type, target_id, created_at)
     select gen_random_uuid(), $1, $2, 'document.read', 'Document', gen_random_uuid(), now() from generate_series(1, $3)`,
    [organizationId, userId, events],
  );
  // Another organization on the same database, read throughout: its latency before and during the move.
  const otherId = randomUUID();
  const otherUser = randomUUID();
  await shared.query(`select set_config('app.organization_id', $1, true)`, [otherId]);
  await shared.query(`insert into organization (id, name, slug) values ($1, 'Staying Co', 'staying-co')`, [otherId]);
  await shared.query(`insert into "user" (id, email, name, password_hash) values ($1, 'owner@staying.test', 'Owner', 'x')`, [otherUser]);
  await shared.query(`insert into membership (organization_id, user_id, role) values ($1, $2, 'OWNER')`, [otherId, otherUser]);
  await shared.query(
    `insert into document (id, organization_id, title, created_by_id) select gen_random_uuid(), $1, 'Staying ' || i, $2 from generate_series(1, 100) i`,
    [otherId, otherUser],
  );
  await shared.query('commit');
  console.log(`seeded ${total.toLocaleString('en-US')} rows in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

  // A writer as the app would be: enter the organization, insert a document, commit; refused while paused.
  let writing = true;
  let acknowledged = 0;
  let refused = 0;
  const writer = (async () => {
    const c = new pg.Client({ connectionString: urls.shared });
    await c.connect();
    while (writing) {
      try {
        await c.query('begin');
        await c.query(`select * from enter_organization($1, $2, null)`, [organizationId, userId]);
        await c.query(`insert into document (id, organization_id, title, created_by_id) values (gen_random_uuid(), $1, 'during the move', $2)`, [organizationId, userId]);
        await c.query('commit');
        acknowledged++;
      } catch {
        await c.query('rollback').catch(() => undefined);
        refused++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await c.end();
  })();

  // The other organization's reads, as a request does them: enter, list 20 documents, commit.
  const reader = new pg.Client({ connectionString: urls.shared });
  await reader.connect();
  const readOnce = async () => {
    const t = performance.now();
    await reader.query('begin');
    await reader.query(`select * from enter_organization($1, $2, null)`, [otherId, otherUser]);
    await reader.query(`select id, title from document where organization_id = $1 order by created_at desc, id desc limit 20`, [otherId]);
    await reader.query('commit');
    return performance.now() - t;
  };
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const before: number[] = [];
  for (const end = Date.now() + 2_000; Date.now() < end; ) before.push(await readOnce());
  const during: number[] = [];
  let moving = true;
  const reads = (async () => {
    while (moving) during.push(await readOnce());
  })();

  const moveStart = Date.now();
  const report = await moveOrganization({
    organizationId,
    to: 'dedicated',
    urls,
    mechanism: args.mechanism === 'paused_copy' ? 'paused_copy' : 'auto',
    onProgress: (p) => p.copied === undefined && console.log(`step: ${p.step} at ${Date.now() - moveStart} ms`),
  });
  writing = false;
  moving = false;
  await Promise.all([writer, reads]);
  await reader.end();
  await shared.end();
  console.log(`another organization's reads: p50 ${p50(before).toFixed(2)} ms before (${before.length}), ${p50(during).toFixed(2)} ms during the move (${during.length}): ${(p50(during) / p50(before)).toFixed(2)}x`);
  const moved = Object.values(report.rows).reduce((a, b) => a + b, 0);
  if (report.rows.document !== documents + acknowledged) throw new Error(`documents moved ${report.rows.document}, expected ${documents} seeded + ${acknowledged} acknowledged`);
  console.log(JSON.stringify({ ...report, acknowledgedWritesDuringMove: acknowledged, refusedWritesDuringPause: refused }, null, 2));
  console.log(`${moved.toLocaleString('en-US')} rows by ${report.mechanism}: pause ${report.pauseMs} ms, whole move ${(report.totalMs / 1000).toFixed(1)} s (${Math.round(moved / (report.totalMs / 1000)).toLocaleString('en-US')} rows/s)`);
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
