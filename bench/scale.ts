import { correctnessGate } from './gate.js';
import { closedLoop, eachOnce } from './load.js';
import { emptyTenantTables } from './database.js';
import { measureFixedRate, median, type FixedRateRun, type Settings } from './measure.js';
import type { Candidate } from './processes.js';
import { authHeaders, body, prepareRequests, type PreparedRequest } from './queries.js';
import { seed, type Scale, type SeededData } from './seed.js';

// The scale series: the same 20-row list on ever larger data, at one fixed rate. An index that
// leads with organization_id should keep the latency flat whatever the table size, the number of
// organizations or the size of the requesting organization.

export interface ScaleDataset {
  key: string;
  label: string;
  scale: Scale;
  /** Also time the list for the members of the large organization (organization 0). */
  largeOrganization: boolean;
}

/**
 * Organization 0 is the seed's "big" organization; in the first three datasets it is the same
 * size as the others, so each dataset has exactly the documents and organizations it names.
 */
const dataset = (key: string, label: string, organizations: number, perOrganization: number, organization0: number, largeOrganization = false): ScaleDataset => ({
  key,
  label,
  scale: { organizations, documentsPerOrganization: perOrganization, bigOrganizationDocuments: organization0, bigOrganizationMembers: largeOrganization ? 50 : 5 },
  largeOrganization,
});

export const FULL_SERIES: ScaleDataset[] = [
  dataset('1k/10', '1k documents / 10 organizations', 9, 100, 100),
  dataset('100k/10', '100k documents / 10 organizations', 9, 10_000, 10_000),
  dataset('1M/10', '1M documents / 10 organizations', 9, 100_000, 100_000),
  dataset('1M/10k', '1M documents / 10k organizations (90 each) + one with 100k', 10_000, 90, 100_000, true),
];

/** The smoke's: the same code on tiny data, a few seconds (correctness, not speed). */
export const SMOKE_SERIES: ScaleDataset[] = [
  dataset('1k/10', '1k documents / 10 organizations', 9, 100, 100),
  dataset('10k/100', '10k documents / 100 organizations (80 each) + one with 2k', 100, 80, 2_000, true),
];

export const documentsIn = (s: Scale) => s.organizations * s.documentsPerOrganization + s.bigOrganizationDocuments;

export interface ScaleDatasetResult {
  key: string;
  label: string;
  documents: number;
  organizations: number;
  seedSeconds: number;
  /** query `list` (random small organization) and, with a large organization, `list-large` (its members). */
  runs: FixedRateRun[];
}

export interface ScaleRow {
  dataset: string;
  label: string;
  /** `small`: random ordinary organizations; `large`: the one large organization. */
  organizations: 'small' | 'large';
  candidate: string;
  rate: number;
  p50: number;
  p99: number;
  /** p50 over the 1k/10 dataset's p50 (small organizations), or for `large`, over a small organization's p50 in the same dataset. */
  p50Ratio: number | null;
  sustained: boolean;
  valid: boolean;
}

export interface ScaleResult {
  rate: number;
  rateSource: string;
  /** Per candidate and dataset: a warm-up at the rate (discarded), then the timed run. */
  warmupSeconds: number;
  runSeconds: number;
  datasets: ScaleDatasetResult[];
  rows: ScaleRow[];
  gateProblems: string[];
  seconds: number;
}

export interface ScaleContext {
  url: string;
  /** The ceiling first (the gate's reference), then the API. */
  candidates: Candidate[];
  series: ScaleDataset[];
  settings: Settings;
  /** Requests/s, or null to calibrate on the first dataset. */
  rate: number | null;
  rateSource: string;
  sign: (userId: string, organizationId: string, role: 'OWNER' | 'MEMBER') => Promise<string>;
  log: (m: string) => void;
}

export async function runScaleSeries(ctx: ScaleContext): Promise<ScaleResult> {
  const started = Date.now();
  const { settings: s, candidates, log } = ctx;
  const timing = { warmupSeconds: s.scaleWarmupSeconds, seconds: s.scaleSeconds, connections: s.connections };
  let rate = ctx.rate;
  let rateSource = ctx.rateSource;
  const datasets: ScaleDatasetResult[] = [];
  const gateProblems: string[] = [];

  for (const [i, d] of ctx.series.entries()) {
    await emptyTenantTables(ctx.url);
    const t0 = Date.now();
    const data = await seed(ctx.url, d.scale);
    const seedSeconds = (Date.now() - t0) / 1000;
    const tokens = await signAll(data, ctx.sign);
    const small = prepareRequests('tenantql', data, tokens, null).list;
    const large: PreparedRequest[] = data.big.userIds.map((u) => ({ headers: authHeaders(tokens, u, data.big.organizationId), body: body('tenantql', 'list', { first: 20 }) }));
    log(`scale ${d.key}: ${documentsIn(d.scale).toLocaleString('en-US')} documents, ${(d.scale.organizations + 1).toLocaleString('en-US')} organizations, seeded in ${seedSeconds.toFixed(1)}s, ${tokens.size} tokens`);

    const sample = Math.min(s.gateSample, 5);
    const problems = [
      ...(await correctnessGate(candidates, { tenantql: { list: small }, postgraphile: {} }, ['list'], sample)),
      ...(d.largeOrganization ? await correctnessGate(candidates, { tenantql: { list: large }, postgraphile: {} }, ['list'], sample) : []),
    ].map((p) => `scale ${d.key}: ${p}`);
    // Every token once, to each candidate, before anything is timed: at 10k organizations a few
    // seconds of warm-up would leave most tenants unseen, and the run would time first requests
    // (a per-token or per-tenant cache missing, cold pages) rather than the steady state the
    // 10-organization datasets are in after their warm-up.
    const t1 = Date.now();
    for (const c of s.scalePrime ? candidates : []) {
      for (const pool of d.largeOrganization ? [small, large] : [small]) {
        const { bad, sampleBadBody } = await eachOnce(c.url, pool, s.connections);
        if (bad) problems.push(`scale ${d.key}: ${c.name}: ${bad} bad answers while sending every token once, e.g. ${sampleBadBody}`);
      }
    }
    if (small.length > 1000) log(`scale ${d.key}: every token sent once to each candidate in ${((Date.now() - t1) / 1000).toFixed(1)}s`);
    if (problems.length) {
      gateProblems.push(...problems);
      log(`scale ${d.key}: correctness gate FAILED, series stopped`);
      break;
    }

    if (rate === null) {
      // No rate given and none from the main run: the same rule on this first dataset (closed loop).
      const rps: number[] = [];
      for (const c of candidates) {
        await closedLoop(c.url, small, s.connections, s.warmupSeconds);
        const o = await closedLoop(c.url, small, s.connections, Math.min(3, s.durationSeconds));
        rps.push(o.requests / o.durationSeconds);
      }
      rate = Math.max(1, Math.round(Math.min(...rps) * s.rateFraction));
      rateSource = `${Math.round(s.rateFraction * 100)}% of the slowest candidate's closed-loop requests/s on ${d.key} (${rps.map((r) => r.toFixed(0)).join(', ')})`;
      log(`scale: fixed rate ${rate} requests/s (${rateSource})`);
    }

    const runs: FixedRateRun[] = [];
    const order = i % 2 ? [...candidates].reverse() : candidates;
    for (const c of order) {
      for (const [query, pool] of [['list', small], ...(d.largeOrganization ? [['list-large', large] as const] : [])] as const) {
        const r = await measureFixedRate(1, c, query, pool, rate, timing);
        runs.push(r);
        log(
          `scale ${d.key.padEnd(7)} ${query.padEnd(10)} ${c.name.padEnd(8)} at ${rate} req/s: p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms` +
            `${r.sustained ? '' : ` (only ${r.achievedRps.toFixed(0)} req/s)`}${r.valid ? '' : ` INVALID (${r.sampleBadBody})`}`,
        );
      }
    }
    datasets.push({ key: d.key, label: d.label, documents: documentsIn(d.scale), organizations: d.scale.organizations + 1, seedSeconds, runs });
  }
  return { rate: rate ?? 0, rateSource, warmupSeconds: timing.warmupSeconds, runSeconds: timing.seconds, datasets, rows: scaleRows(datasets, candidates.map((c) => c.name)), gateProblems, seconds: (Date.now() - started) / 1000 };
}

async function signAll(data: SeededData, sign: ScaleContext['sign']): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const t of data.tenants) tokens.set(`${t.organizationId}/${t.userId}`, await sign(t.userId, t.organizationId, 'OWNER'));
  for (const u of data.big.userIds) tokens.set(`${data.big.organizationId}/${u}`, await sign(u, data.big.organizationId, 'MEMBER'));
  return tokens;
}

function scaleRows(datasets: ScaleDatasetResult[], candidates: string[]): ScaleRow[] {
  const rows: ScaleRow[] = [];
  const p50 = (d: ScaleDatasetResult | undefined, c: string, q: string) => {
    const rs = d?.runs.filter((r) => r.candidate === c && r.query === q) ?? [];
    return rs.length ? median(rs.map((r) => r.p50)) : null;
  };
  const base = datasets[0];
  for (const d of datasets) {
    for (const q of ['list', 'list-large']) {
      for (const c of candidates) {
        const r = d.runs.find((x) => x.candidate === c && x.query === q);
        if (!r) continue;
        const reference = q === 'list' ? p50(base, c, 'list') : p50(d, c, 'list');
        rows.push({
          dataset: d.key,
          label: d.label,
          organizations: q === 'list' ? 'small' : 'large',
          candidate: c,
          rate: r.rate,
          p50: r.p50,
          p99: r.p99,
          p50Ratio: reference ? r.p50 / reference : null,
          sustained: r.sustained,
          valid: r.valid,
        });
      }
    }
  }
  return rows;
}
