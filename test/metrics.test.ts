import type { FastifyInstance } from 'fastify';
import { getMetricsFromIterator, type PromHistogramData, type PromData, type PromMetric } from 'prom2javascript';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentsDocument, MeDocument } from '../src/client/generated/graphql.js';
import { RESPONSE_ERROR_CODES } from '../src/graphql/errors.js';
import { trustedManifest } from '../src/graphql/trusted-documents/manifest.js';
import { createMetrics, OUTCOMES } from '../src/metrics/metrics.js';
import { createMetricsServer } from '../src/metrics/server.js';
import { RATE_LIMITS } from '../src/rate-limit/errors.js';
import type { Knex } from '@mikro-orm/postgresql';
import { connectOrm } from '../src/db/orm.js';
import { poolStatsOf } from '../src/db/pool-stats.js';
import { SERVING_ROLE } from '../src/db/serving-role.js';
import { startApp, type TestApp } from './support/app.js';
import { waitFor } from './support/faults-helpers.js';
import { createOrg, type TestOrg } from './support/factories.js';
import { logCapture } from './support/input-sweep-helpers.js';
import { idOf, postJson, type Answer } from './support/trusted-documents.js';

// /metrics on its own listener, scraped after a few real requests over HTTP and read with a
// Prometheus text-format parser: names, types, label sets and counts, and no label value that
// is an organization id or a client's text.

const manifest = trustedManifest();
const metrics = createMetrics(manifest.operationNames);
const logs = logCapture();
let app: TestApp;
let metricsServer: FastifyInstance;
let metricsUrl: string;
let a: TestOrg;
let b: TestOrg;
/** Every answer the test got from the GraphQL route, to compare with what the metrics counted. */
const answers: { operation: string; answer: Answer }[] = [];

async function send(operation: string, body: unknown, token?: string) {
  const answer = await postJson(app.graphqlUrl, body, token);
  answers.push({ operation, answer });
  return answer;
}

/**
 * One scrape, read by prom2javascript (a text-format parser: it throws on any line it cannot
 * read). Scraped once, after the requests: prom-client writes `Nan` for the event-loop delay
 * statistics when no delay was sampled since the previous scrape (valid Prometheus text: Go's
 * ParseFloat reads it), which prom2javascript does not read; the first scrape has a second of samples.
 */
async function scrape(): Promise<{ text: string; families: Map<string, PromMetric>; contentType: string | null }> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  const text = await res.text();
  const families = new Map(Object.entries(await getMetricsFromIterator(text.split('\n')[Symbol.iterator]())));
  return { text, families, contentType: res.headers.get('content-type') };
}

const samples = (family: PromMetric | undefined) => (family?.data ?? []) as PromData[];
const histogram = (family: PromMetric | undefined) => (family?.data ?? []) as PromHistogramData[];
const gaugeValue = (families: Map<string, PromMetric>, name: string) => samples(families.get(name))[0]?.value;

let oddName: string;
let scraped: Awaited<ReturnType<typeof scrape>>;
beforeAll(async () => {
  app = await startApp(
    {
      LOG_LEVEL: 'info',
      // One organization's budget is spent by its second large page; a second failed sign-in of one email is throttled.
      RATE_LIMIT_POINTS: '1000',
      LOGIN_MAX_FAILURES_PER_EMAIL: '1',
    },
    undefined,
    { metrics, logStream: logs.stream },
  );
  metricsServer = createMetricsServer({ metrics, logger: pino({ level: 'silent' }) });
  metricsUrl = `${await metricsServer.listen({ host: '127.0.0.1', port: 0 })}/metrics`;
  [a, b] = await Promise.all([createOrg(app, { documents: 2 }), createOrg(app, { documents: 2 })]);
  oddName = `org_${a.id.replace(/-/g, '_')}`;

  // Trusted documents by id: two successes, and an unknown id.
  await send('Documents', { documentId: idOf(DocumentsDocument), variables: { first: 5 } }, a.owner.token);
  await send('Me', { documentId: idOf(MeDocument) }, a.owner.token);
  await send('other', { documentId: `sha256:${'0'.repeat(64)}` }, a.owner.token);
  // Free text: counted as `other`, whatever the operation is called (a manifest name, an organization id, odd characters).
  await send('other', { query: 'query Documents { me { role } }' }, a.owner.token);
  await send('other', { query: `query ${oddName} { me { role } }` }, a.owner.token);
  await send('other', { query: '{ me { role } }', operationName: `${b.id} <script>"\\` }, a.owner.token);
  // Errors with codes: a mutation on an unknown id (NOT_FOUND), a parse error, a request without a token.
  await send('other', { query: 'mutation { archiveDocument(id: "6f0e7a52-1c3b-4d7e-9a51-2f3c4d5e6f70") { id } }' }, a.owner.token);
  await send('other', { query: '{ me { ' }, a.owner.token);
  await send('Documents', { documentId: idOf(DocumentsDocument) });
  // Rate limits: B's budget (1000 points) pays for one 100-document page, not two; a second failed sign-in of one email.
  const page = 'query Big { documents(first: 100) { edges { node { id title body createdBy { id name } } } } }';
  await send('other', { query: page }, b.owner.token);
  await send('other', { query: page }, b.owner.token);
  const login = 'mutation { login(input: { email: "nobody@example.test", password: "wrong password" }) { accessToken } }';
  await send('other', { query: login });
  await send('other', { query: login });
  scraped = await scrape();
});
afterAll(async () => {
  await metricsServer?.close();
  await app?.close();
});

describe('the metrics listener', () => {
  it('serves Prometheus text format that a Prometheus parser reads, on its own port only', async () => {
    const { families, contentType } = scraped;
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(families.size).toBeGreaterThan(10);
    const onApi = await fetch(`${app.url}/metrics`);
    expect(onApi.status).toBe(404);
    expect((await fetch(`${metricsUrl.replace('/metrics', '/graphql')}`)).status).toBe(404);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(404);
  });

  it('has the service metrics with their types and label names, and Node default metrics', async () => {
    const { families } = scraped;
    const types = {
      tenantql_graphql_requests_total: ['counter', ['operation', 'outcome']],
      tenantql_graphql_request_duration_seconds: ['histogram', ['operation', 'outcome']],
      tenantql_graphql_errors_total: ['counter', ['code']],
      tenantql_rate_limit_refusals_total: ['counter', ['limit']],
      tenantql_db_pool_connections_active: ['gauge', []],
      tenantql_db_pool_connections_idle: ['gauge', []],
      tenantql_db_pool_connections_pending: ['gauge', []],
      tenantql_db_pool_connections_max: ['gauge', []],
    } as const;
    for (const [name, [type, labels]] of Object.entries(types)) {
      const family = families.get(name);
      expect(family?.type, name).toBe(type);
      expect(family!.data.length, name).toBeGreaterThan(0);
      for (const m of family!.data) expect(Object.keys(m.labels).sort(), name).toEqual([...labels].sort());
    }
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(families.has(name), name).toBe(true);
    }
  });

  it('counts requests by operation and outcome: manifest operations by id, everything else as other', async () => {
    const { families } = scraped;
    const requests = samples(families.get('tenantql_graphql_requests_total'));
    const duration = histogram(families.get('tenantql_graphql_request_duration_seconds'));
    const expected = new Map<string, number>();
    for (const { operation, answer } of answers) {
      const outcome = answer.status >= 500 || answer.codes.includes('INTERNAL_SERVER_ERROR') ? 'server_error' : answer.status >= 400 || answer.codes.length ? 'client_error' : 'success';
      const key = `${operation}/${outcome}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const counted = new Map(requests.map((m) => [`${m.labels.operation}/${m.labels.outcome}`, m.value]));
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(expected));
    expect(counted.get('Documents/success')).toBe(1);
    expect(counted.get('Me/success')).toBe(1);
    // The histogram saw the same requests, each within its buckets.
    expect(duration.length).toBe(counted.size);
    for (const m of duration) {
      expect(m.count, JSON.stringify(m.labels)).toBe(counted.get(`${m.labels.operation}/${m.labels.outcome}`));
      expect(m.buckets['+Inf']).toBe(m.count);
      expect(m.sum).toBeGreaterThan(0);
    }
  });

  it('counts errors by extensions.code, each error of each response', async () => {
    const { families } = scraped;
    const expected: Record<string, number> = Object.fromEntries(RESPONSE_ERROR_CODES.map((c) => [c, 0]));
    for (const { answer } of answers) for (const code of answer.codes) expected[String(code)] = (expected[String(code)] ?? 0) + 1;
    const counted = Object.fromEntries(samples(families.get('tenantql_graphql_errors_total')).map((m) => [m.labels.code, m.value]));
    expect(counted).toEqual(expected);
    for (const code of ['TRUSTED_DOCUMENT_NOT_FOUND', 'NOT_FOUND', 'GRAPHQL_PARSE_FAILED', 'RATE_LIMITED']) expect(counted[code], code).toBeGreaterThan(0);
  });

  it('counts rate-limit refusals by the limit that refused: the organization budget and the login throttle here', async () => {
    const { families } = scraped;
    const counted = Object.fromEntries(samples(families.get('tenantql_rate_limit_refusals_total')).map((m) => [m.labels.limit, m.value]));
    expect(counted).toEqual({ ...Object.fromEntries(RATE_LIMITS.map((l) => [l, 0])), organization: 1, login: 1 });
  });

  it('reports the serving pool: its size, and connections opened by the requests', async () => {
    const { families } = scraped;
    const value = (name: string) => gaugeValue(families, name)!;
    expect(value('tenantql_db_pool_connections_max')).toBe(app.config.database.poolMax);
    expect(value('tenantql_db_pool_connections_active') + value('tenantql_db_pool_connections_idle')).toBeGreaterThan(0);
    expect(value('tenantql_db_pool_connections_active') + value('tenantql_db_pool_connections_idle')).toBeLessThanOrEqual(app.config.database.poolMax);
    expect(value('tenantql_db_pool_connections_pending')).toBe(0);
  });

  it('no label value is an organization id or client text: only manifest operation names and closed sets', async () => {
    const { text, families } = scraped;
    for (const secret of [a.id, b.id, a.owner.email, b.owner.email, oddName, '<script>', 'nobody@example.test']) expect(text).not.toContain(secret);
    const allowed: Record<string, ReadonlySet<string>> = {
      operation: new Set([...manifest.operationNames, 'other']),
      outcome: new Set(OUTCOMES),
      code: new Set(RESPONSE_ERROR_CODES),
      limit: new Set(RATE_LIMITS),
    };
    for (const [name, family] of families) {
      if (!name.startsWith('tenantql_')) continue;
      for (const m of family.data) {
        for (const [label, value] of Object.entries(m.labels)) expect(allowed[label]?.has(value), `${name}{${label}="${value}"}`).toBe(true);
      }
    }
  });
});

describe('createMetrics', () => {
  it('bounds the labels itself: an operation outside the manifest is other, a code outside the closed set OTHER', async () => {
    const own = createMetrics(new Set(['Documents']));
    own.recordRequest({ operation: a.id, outcome: 'client_error', seconds: 0.01, codes: [`${b.id} <script>`] });
    own.recordRequest({ operation: 'Documents', outcome: 'success', seconds: 0.01, codes: [] });
    const text = await own.registry.metrics();
    expect(text).not.toContain(a.id);
    expect(text).not.toContain(b.id);
    expect(text).toMatch(/^tenantql_graphql_requests_total\{operation="other",outcome="client_error"\} 1$/m);
    expect(text).toMatch(/^tenantql_graphql_requests_total\{operation="Documents",outcome="success"\} 1$/m);
    expect(text).toMatch(/^tenantql_graphql_errors_total\{code="OTHER"\} 1$/m);
  });
});

describe('the pool gauges', () => {
  it('count lent connections as active and requests waiting for one as pending', async () => {
    const orm = await connectOrm({ clientUrl: app.databaseUrl, mode: app.config.mode, poolMax: 1, role: SERVING_ROLE });
    try {
      const own = createMetrics(new Set());
      own.observePool(poolStatsOf(orm, 1));
      const gauges = async () => Object.fromEntries([...(await own.registry.metrics()).matchAll(/^tenantql_db_pool_connections_(\w+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
      const client = orm.em.getConnection().getKnex().client as Knex.Client;
      const lent = await client.acquireConnection();
      const waiting = client.acquireConnection(); // the pool's one connection is lent: this waits
      await waitFor('the second request to wait', async () => ((await gauges()).pending === 1 ? true : undefined), 5000, 10);
      expect(await gauges()).toEqual({ active: 1, idle: 0, pending: 1, max: 1 });
      await client.releaseConnection(lent);
      await client.releaseConnection(await waiting);
      expect(await gauges()).toEqual({ active: 0, idle: 1, pending: 0, max: 1 });
    } finally {
      await orm.close();
    }
  });
});

describe('the log lines of a request', () => {
  it('carry the request id, the organization id and the operation name, on the access log line too', async () => {
    const free = await postJson(app.graphqlUrl, { query: 'query WhoAmI { me { role } }' }, a.owner.token);
    const byId = await postJson(app.graphqlUrl, { documentId: idOf(DocumentsDocument) }, a.owner.token);
    for (const [res, operationName] of [[free, 'WhoAmI'], [byId, 'Documents']] as const) {
      const reqId = res.headers.get('x-request-id');
      const lines = logs.lines.filter((l) => l.reqId === reqId);
      const completed = lines.find((l) => l.msg === 'request completed');
      expect(completed, JSON.stringify(lines)).toMatchObject({ reqId, organizationId: a.id, operationName });
    }
  });
});
