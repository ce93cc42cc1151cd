import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfirmSignUpDocument, CreateDocumentDocument, DocumentsDocument, LoginDocument, SignUpDocument } from '../src/client/generated/graphql.js';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app.js';
import { createTestDatabase, withSql } from './support/database.js';
import { leaks, sleep } from './support/documents-helpers.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { lastMailTo } from './support/mail.js';
import { freePort } from './support/ports.js';
import { post, runEntryPoint, startDedicatedPostgres, waitFor, type DedicatedPostgres, type Outcome } from './support/faults-helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCUMENTS = print(DocumentsDocument);
const CREATE = print(CreateDocumentDocument);

/** What a failure during an outage says (README's error table: HTTP 503, Retry-After), never the driver's or the pool's words. */
const OUTAGE_CODES = new Set(['SERVICE_UNAVAILABLE']);
const INTERNALS = [/ECONNREFUSED|ECONNRESET|EPIPE/i, /terminat/i, /\bpool\b/i, /knex|tarn/i, /connection/i, /postgres/i];

describe('the database restarts while requests are in flight', () => {
  type Kind = 'read' | 'create';
  type Org = TestOrg & { tag: string };
  let pgServer: DedicatedPostgres;
  let app: TestApp;
  let orgs: Org[];
  const log: (Outcome & { kind: Kind; org: Org; title?: string })[] = [];
  const t = { stop: Infinity, down: Infinity, restart: Infinity, up: Infinity, recovered: Infinity };
  let readyDuringOutage: number | undefined;
  let healthDuringOutage: number | undefined;
  let readyAfter: number | undefined;

  const succeeded = (o: Outcome) => o.status === 200 && !!o.body?.data && !o.body.errors;
  const where = (o: (typeof log)[number]) => `${o.kind} by ${o.org.tag} sent at ${o.sentAt - t.stop} ms after the stop began`;

  beforeAll(async () => {
    pgServer = await startDedicatedPostgres();
    app = await startApp({ DB_POOL_MAX: '4', RATE_LIMIT_ENABLED: 'false' }, pgServer.url);
    orgs = await Promise.all(
      [0, 1, 2].map(async () => {
        const org = await createOrg(app, { documents: 2 });
        return { ...org, tag: org.documents[0]!.title.split(' of ')[1]! };
      }),
    );

    // Six clients, each a stream of reads and writes for its organization, across the restart.
    let running = true;
    let n = 0;
    const client = async () => {
      while (running) {
        const k = n++;
        const org = orgs[k % orgs.length]!;
        const headers = { authorization: `Bearer ${org.owner.token}` };
        if (k % 2 === 0) {
          log.push({ kind: 'read', org, ...(await post(app.graphqlUrl, DOCUMENTS, { first: 100 }, headers)) });
        } else {
          const title = `Fault ${k} of ${org.tag}`;
          log.push({ kind: 'create', org, title, ...(await post(app.graphqlUrl, CREATE, { input: { title, body: `written by ${org.tag}` } }, headers)) });
        }
        await sleep(5);
      }
    };
    const clients = Array.from({ length: 6 }, client);
    try {
      await waitFor('a dozen answers before the outage', async () => (log.filter(succeeded).length >= 12 ? true : undefined), 10_000);
      t.stop = Date.now();
      await pgServer.stop();
      t.down = Date.now();
      readyDuringOutage = (await fetch(`${app.url}/readyz`)).status;
      healthDuringOutage = (await fetch(`${app.url}/healthz`)).status;
      await sleep(600);
      t.restart = Date.now();
      await pgServer.start();
      t.up = Date.now();
      // Nothing is done to the app: it has to find its way back by itself.
      t.recovered = await waitFor(
        'a successful request sent after the restart',
        async () => log.find((o) => o.sentAt > t.up && succeeded(o))?.answeredAt,
        8_000,
      ).catch(() => Infinity);
      readyAfter = await waitFor('/readyz to say ready', async () => ((await fetch(`${app.url}/readyz`)).status === 200 ? 200 : undefined), 5_000).catch(() => undefined);
      await sleep(300);
    } finally {
      running = false;
      await Promise.all(clients);
    }
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await pgServer?.destroy();
  });

  it('the outage really happened: answers before it succeeded, answers during it all failed', () => {
    // `<=`: an answer in the very millisecond the wait ended counts (it was among the dozen waited for).
    expect(log.filter((o) => o.answeredAt <= t.stop && succeeded(o)).length).toBeGreaterThanOrEqual(12);
    const duringOutage = log.filter((o) => o.sentAt >= t.down && o.answeredAt <= t.restart);
    expect(duringOutage.length).toBeGreaterThan(5);
    expect(duringOutage.filter(succeeded).map(where)).toEqual([]);
  });

  it('every request got an HTTP answer: success with its own data, or a clear error with no internals', () => {
    const problems: string[] = [];
    for (const o of log) {
      if (o.thrown) problems.push(`${where(o)}: no HTTP answer (${o.thrown})`);
      else if (!o.body) problems.push(`${where(o)}: HTTP ${o.status}, body is not JSON: ${o.raw}`);
      else if (!succeeded(o)) {
        const codes = (o.body.errors ?? []).map((e) => String(e.extensions?.code));
        if (codes.length === 0 || codes.some((c) => !OUTAGE_CODES.has(c))) problems.push(`${where(o)}: unclear error ${o.raw}`);
        if (o.status !== 503 || !/^[1-9]\d*$/.test(o.retryAfter ?? '')) problems.push(`${where(o)}: HTTP ${o.status}, Retry-After ${o.retryAfter}`);
        if (!o.requestId) problems.push(`${where(o)}: no x-request-id header`);
        const leaked = [...leaks(o.raw), ...INTERNALS.filter((re) => re.test(o.raw)).map(String)];
        if (leaked.length) problems.push(`${where(o)}: internals (${leaked.join(', ')}): ${o.raw}`);
        if (o.body.data && Object.values(o.body.data).some((v) => v !== null)) problems.push(`${where(o)}: an error with data: ${o.raw}`);
      } else if (o.kind === 'read') {
        const edges = (o.body.data!.documents as { edges: { node: { title: string } }[] }).edges;
        if (edges.length < 2 || edges.some((e) => !e.node.title.endsWith(` of ${o.org.tag}`))) problems.push(`${where(o)}: wrong data ${o.raw}`);
      } else if ((o.body.data!.createDocument as { title: string }).title !== o.title) {
        problems.push(`${where(o)}: wrong data ${o.raw}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('errors during the outage carry extensions.requestId, as every error does (README)', () => {
    const failed = log.filter((o) => o.body && !succeeded(o));
    expect(failed.length).toBeGreaterThan(0);
    const without = failed.filter((o) => !o.body!.errors?.every((e) => e.extensions?.requestId === o.requestId));
    expect(without.slice(0, 3).map((o) => `${where(o)}: HTTP ${o.status} ${o.raw}`), `${without.length} of ${failed.length} errors`).toEqual([]);
  });

  it('/readyz reports the outage (503) while /healthz stays 200, and reports ready again after it', () => {
    expect(readyDuringOutage).toBe(503);
    expect(healthDuringOutage).toBe(200);
    expect(readyAfter).toBe(200);
  });

  it('no acknowledged write is lost: every createDocument that answered success is stored, in its organization', async () => {
    const acknowledged = log.filter((o) => o.kind === 'create' && succeeded(o));
    expect(acknowledged.length).toBeGreaterThan(5);
    expect(acknowledged.some((o) => o.sentAt > t.up), 'writes acknowledged after the restart').toBe(true);
    const docs = acknowledged.map((o) => ({ ...(o.body!.data!.createDocument as { id: string; title: string }), org: o.org.id }));
    const stored = await withSql(app.databaseUrl, async (c) =>
      (await c.query<{ id: string; title: string; org: string }>('select id, title, organization_id as org from document where id = any($1)', [docs.map((d) => d.id)])).rows,
    );
    const byId = new Map(stored.map((r) => [r.id, r]));
    expect(docs.filter((d) => byId.get(d.id)?.title !== d.title || byId.get(d.id)?.org !== d.org)).toEqual([]);
  });

  it('recovers by itself within seconds of the restart, then answers every request', async () => {
    expect(t.recovered - t.up).toBeLessThan(5_000);
    for (const org of orgs) {
      const headers = { authorization: `Bearer ${org.owner.token}` };
      for (let i = 0; i < 4; i++) {
        const res = await post(app.graphqlUrl, i % 2 ? CREATE : DOCUMENTS, i % 2 ? { input: { title: `After ${i} of ${org.tag}` } } : { first: 5 }, headers);
        expect(succeeded(res), res.raw).toBe(true);
      }
    }
  });
});

describe('SIGTERM on the real entry point', () => {
  it('finishes the requests in flight, closes the pool and exits 0', async () => {
    const databaseUrl = await createTestDatabase();
    const port = await freePort();
    const appName = `tenantql-sigterm-${randomBytes(4).toString('hex')}`;
    const outboxDir = await mkdtemp(join(tmpdir(), 'tenantql-sigterm-outbox-'));
    const proc = runEntryPoint(ROOT, {
      MAIL_OUTBOX_DIR: outboxDir,
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_ENV: 'test',
      DEPLOYMENT_MODE: 'multi_tenant',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info', // "incoming request" / "request completed" lines show what was in flight
      SEED_DEMO_DATA: 'false',
      RATE_LIMIT_ENABLED: 'false',
      // Sixteen concurrent sign-ins of one user are this test's slow work, not password guessing.
      LOGIN_MAX_FAILURES_PER_EMAIL: '10000',
      LOGIN_MAX_FAILURES_PER_IP: '100000',
      // libpq's variable, read by node-postgres: tells this process's connections apart.
      PGAPPNAME: appName,
    });
    const logTail = () => `\nlog: ${proc.lines.slice(-8).map((l) => l.msg).join(' | ')}\nstderr: ${proc.stderr().slice(-2000)}`;
    try {
      const base = `http://127.0.0.1:${port}`;
      const graphqlUrl = `${base}/graphql`;
      await waitFor('the entry point to listen', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 20_000, 100).catch((err) => {
        throw new Error(`${String(err)}${logTail()}`);
      });

      const email = `sigterm-${randomBytes(4).toString('hex')}@example.test`;
      const password = 'sigterm password 123';
      const signUp = await post(graphqlUrl, print(SignUpDocument), { input: { email, password, name: 'Sig Term', organizationName: 'Sigterm Org' } });
      expect(signUp.body?.errors, signUp.raw).toBeUndefined();
      const mail = await lastMailTo({ outboxDir }, email);
      const confirmed = await post(graphqlUrl, print(ConfirmSignUpDocument), { token: mail.token });
      const token = (confirmed.body?.data?.confirmSignUp as { accessToken: string } | undefined)?.accessToken;
      expect(token, confirmed.raw).toBeTruthy();
      const connections = () =>
        withSql(databaseUrl, async (c) => (await c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1', [appName])).rows[0]!.n);
      expect(await connections(), 'its pool is open, and its connections carry PGAPPNAME').toBeGreaterThan(0);

      // A slow-ish batch over keep-alive connections (fetch's default, like a load balancer's):
      // sign-ins (argon2) and writes with large bodies, each with its own request id.
      const auth = { authorization: `Bearer ${token}` };
      const batch = Array.from({ length: 24 }, (_, i) => {
        const headers = { 'x-request-id': `sigterm-${i}`, ...(i % 3 === 2 ? auth : {}) };
        const call =
          i % 3 === 2
            ? post(graphqlUrl, CREATE, { input: { title: `In flight ${i}`, body: 'x'.repeat(50_000) } }, headers)
            : post(graphqlUrl, print(LoginDocument), { input: { email, password } }, headers);
        return call.then((o) => ({ i, ...o }));
      });
      // SIGTERM once the server has received every request of the batch.
      const received = () => new Set(proc.lines.filter((l) => l.msg === 'incoming request').map((l) => l.reqId));
      await waitFor('the batch to arrive', async () => (batch.every((_, i) => received().has(`sigterm-${i}`)) ? true : undefined), 10_000, 2);
      proc.child.kill('SIGTERM');
      const answers = await Promise.all(batch);
      const exit = await Promise.race([proc.exited, sleep(10_000).then(() => 'still running 10 s after the last answer' as const)]);

      // Every request it had received was answered, and correctly.
      expect(answers.filter((o) => o.status !== 200 || !!o.body?.errors || !o.body?.data).map((o) => `${o.i}: ${o.thrown ?? o.raw}`), logTail()).toEqual([]);
      const shutdownAt = proc.lines.findIndex((l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'));
      expect(shutdownAt, `no "shutting down" line${logTail()}`).toBeGreaterThan(-1);
      // Some of them really were still running when the signal came.
      const completedAfter = proc.lines.slice(shutdownAt).filter((l) => l.msg === 'request completed' && String(l.reqId).startsWith('sigterm-'));
      expect(completedAfter.length, 'requests completed after SIGTERM').toBeGreaterThan(0);

      // Then it stopped by itself, cleanly, with its pool closed.
      expect(exit, logTail()).toEqual({ code: 0, signal: null });
      expect(proc.lines.some((l) => l.msg === 'stopped'), logTail()).toBe(true);
      expect(proc.lines.filter((l) => Number(l.level) >= 50).map((l) => l.msg), 'errors logged').toEqual([]);
      await waitFor('its database connections to go', async () => ((await connections()) === 0 ? true : undefined), 3_000);

      // The writes it acknowledged are stored.
      const titles = await withSql(databaseUrl, async (c) => (await c.query<{ title: string }>("select title from document where title like 'In flight %'")).rows.map((r) => r.title));
      expect(titles.sort()).toEqual(answers.filter((o) => o.i % 3 === 2).map((o) => `In flight ${o.i}`).sort());
    } finally {
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
      await rm(outboxDir, { recursive: true, force: true });
    }
  });
});

describe('a COMMIT that fails', () => {
  // Made deterministic: a constraint trigger that only COMMIT runs (DEFERRABLE INITIALLY
  // DEFERRED), installed in this test's own database, refuses audit events of requests whose id
  // (x-request-id, which clients may send) carries a marker. A mutation's audit event is written
  // after its own constraint check (src/modules/audited.ts), so the first thing to fail is the
  // request's COMMIT, after the resolver has already produced its answer.
  const MARKER = 'fail-commit-';
  let app: TestApp;
  let org: TestOrg;
  const errorLines: { level: number; msg: string }[] = [];
  beforeAll(async () => {
    app = await startApp({ LOG_LEVEL: 'error', RATE_LIMIT_ENABLED: 'false' }, undefined, {
      logStream: { write: (line: string) => void errorLines.push(JSON.parse(line) as { level: number; msg: string }) },
    });
    org = await createOrg(app, { roles: ['OWNER', 'MEMBER'], documents: 1 });
    await withSql(app.databaseUrl, async (c) => {
      await c.query(`create function test_refuse_marked_commit() returns trigger language plpgsql as $$
        begin
          if new.request_id like '${MARKER}%' then
            raise exception 'test: commit refused for request %', new.request_id using errcode = 'check_violation';
          end if;
          return null;
        end $$`);
      await c.query(`create constraint trigger test_refuse_marked_commit after insert on activity_event
        deferrable initially deferred for each row execute function test_refuse_marked_commit()`);
    });
  });
  afterAll(() => app?.close());

  const stored = (title: string, requestId: string) =>
    withSql(app.databaseUrl, async (c) => ({
      documents: (await c.query('select id from document where title = $1', [title])).rowCount,
      events: (await c.query('select id from activity_event where request_id = $1', [requestId])).rowCount,
    }));
  const create = (title: string, requestId: string) =>
    post(app.graphqlUrl, CREATE, { input: { title, body: 'commit test' } }, { authorization: `Bearer ${org.users[1]!.token}`, 'x-request-id': requestId });

  it('control: the same mutation without the marker succeeds and is committed', async () => {
    const requestId = `control-${randomBytes(4).toString('hex')}`;
    const title = `Committed ${requestId}`;
    const res = await create(title, requestId);
    expect(res.status, res.raw).toBe(200);
    expect(res.body?.errors, res.raw).toBeUndefined();
    expect((res.body?.data?.createDocument as { title: string }).title).toBe(title);
    expect(await stored(title, requestId)).toEqual({ documents: 1, events: 1 });
  });

  it('the mutation answers INTERNAL_SERVER_ERROR with no data, nothing is committed, and the log says why', async () => {
    const requestId = `${MARKER}${randomBytes(4).toString('hex')}`;
    const title = `Never committed ${requestId}`;
    const res = await create(title, requestId);
    expect(res.requestId).toBe(requestId);
    expect(res.body?.data ?? null, res.raw).toBeNull();
    expect(res.body?.errors?.map((e) => [e.extensions?.code, e.message, e.extensions?.requestId]), res.raw).toEqual([
      ['INTERNAL_SERVER_ERROR', 'Internal server error', requestId],
    ]);
    expect(res.raw).not.toContain(title);
    expect([...leaks(res.raw), ...INTERNALS.filter((re) => re.test(res.raw)).map(String)]).toEqual([]);
    expect(res.raw).not.toMatch(/commit refused|check_violation/);
    expect(await stored(title, requestId)).toEqual({ documents: 0, events: 0 });
    expect(errorLines.filter((l) => l.msg.includes(requestId)).map((l) => l.msg)).toEqual([expect.stringMatching(/commit failed: .*commit refused/)]);
  });
});

