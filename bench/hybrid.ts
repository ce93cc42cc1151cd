import type pg from 'pg';
import { withClient } from './database.js';
import type { RunResult, SummaryRow } from './measure.js';
import { CREATE_INPUT, type QueryName } from './queries.js';
import type { SeededData } from './seed.js';

// The `api-hybrid` candidate's databases (issue 10: hybrid deployment). The benchmark seeds one
// database; this makes two copies of it on the same server, so every candidate answers from the
// same rows: a shared database (the directory, every user, the membership index, the tenant rows
// of the organizations that stay shared) and a dedicated placement's database (its organizations'
// own rows). The layout is the one the API itself keeps (README "Hybrid deployment", migration
// Migration20261202010000_placement, test/support/factories.ts createOrg).

/** The dedicated placement's name: the API reads its URL from PLACEMENT_DEDICATED_URL. */
export const DEDICATED_PLACEMENT = 'dedicated';

export interface HybridDatabases {
  /** The shared database (DATABASE_URL of api-hybrid). */
  sharedUrl: string;
  /** The dedicated placement's database (PLACEMENT_DEDICATED_URL). */
  dedicatedUrl: string;
  /** Their database names, for pg_stat_statements (the candidate's statements go to both). */
  databases: string[];
  /** Organizations placed on the dedicated placement. */
  moved: number;
  movedOrganizationIds: string[];
  seconds: number;
}

/** `url` with another database name (same server, same credentials). */
function onDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Makes the hybrid case's two databases from the seeded benchmark database at `url`: both are
 * `CREATE DATABASE ... TEMPLATE` copies of it (STRATEGY FILE_COPY: a file copy after a
 * checkpoint, PostgreSQL docs "CREATE DATABASE"; it needs no other session on the template, so
 * call this before anything else connects to `url`), then pruned as the API would have written
 * them:
 *
 * - dedicated: only the `movedOrganizationIds` organizations (placement = 'dedicated') with their
 *   memberships, documents, comments, invitations and audit events, and copies of their members'
 *   users without the password hash (src/tenancy/placement/user-copy.ts);
 * - shared: every organization (the moved ones' directory rows say placement = 'dedicated'),
 *   every user, every membership (for the moved organizations: the membership index), and the
 *   tenant rows of the organizations that stay.
 *
 * Both are then rewritten with VACUUM (FULL, ANALYZE): no dead rows left by the pruning, fresh
 * statistics, as the freshly seeded original has. The schema (migrations, row-level security,
 * grants) comes with the copy; `placement_identity` stays empty and the API names each database
 * at start. Needs CREATEDB (or superuser) and, like the seed, an owner that row-level security
 * does not bind (superuser). Errors from PostgreSQL are raised as they are.
 */
export async function makeHybridDatabases(url: string, movedOrganizationIds: string[]): Promise<HybridDatabases> {
  const started = Date.now();
  const source = decodeURIComponent(new URL(url).pathname.slice(1));
  const names = { shared: `${source}_hybrid_shared`, dedicated: `${source}_hybrid_dedicated` };
  // An administrative session on another database of the server: TEMPLATE refuses a source with sessions.
  await withClient(onDatabase(url, 'postgres'), async (admin) => {
    for (const name of Object.values(names)) {
      await admin.query(`drop database if exists ${quoteIdent(name)} with (force)`);
      await admin.query(`create database ${quoteIdent(name)} template ${quoteIdent(source)} strategy file_copy`);
    }
  });
  const sharedUrl = onDatabase(url, names.shared);
  const dedicatedUrl = onDatabase(url, names.dedicated);
  await withClient(dedicatedUrl, (c) => prune(c, movedOrganizationIds, 'dedicated'));
  await withClient(sharedUrl, (c) => prune(c, movedOrganizationIds, 'shared'));
  return { sharedUrl, dedicatedUrl, databases: [names.shared, names.dedicated], moved: movedOrganizationIds.length, movedOrganizationIds, seconds: (Date.now() - started) / 1000 };
}

/**
 * Gives api-hybrid's databases the documents `createDocument` wrote to the benchmark database
 * (every other candidate's, which share it), in place of its own: after a writing run the copies
 * hold one candidate's new documents and the benchmark database four, and the newest documents of
 * an organization are what every later list and relation page reads (new documents have no
 * comments, so the pages would do different work). Called after each round's `createDocument`
 * runs and after the correctness gate. Rows are copied as they are (ids, times), each to the
 * database serving its organization; returns how many were copied, and throws when some found
 * no database (their organization is in neither).
 */
export async function syncCreatedDocuments(url: string, hybrid: HybridDatabases): Promise<number> {
  const { rows } = await withClient(url, (c) =>
    c.query<{ rows: unknown[] | null }>('select json_agg(d) as rows from document d where d.title = $1', [CREATE_INPUT.title]),
  );
  const created = JSON.stringify(rows[0]?.rows ?? []);
  let copied = 0;
  for (const [target, served] of [
    [hybrid.dedicatedUrl, 'in'],
    [hybrid.sharedUrl, 'not in'],
  ] as const) {
    await withClient(target, async (c) => {
      await c.query('begin');
      await c.query('delete from document where title = $1', [CREATE_INPUT.title]);
      const inserted = await c.query(
        `insert into document select r.* from json_populate_recordset(null::document, $1::json) r
          where r.organization_id ${served} (select unnest($2::uuid[]))`,
        [created, hybrid.movedOrganizationIds],
      );
      copied += inserted.rowCount ?? 0;
      await c.query('commit');
    });
  }
  const expected = (rows[0]?.rows ?? []).length;
  if (copied !== expected) throw new Error(`api-hybrid's databases got ${copied} of the ${expected} created documents: their organizations are missing there`);
  return copied;
}

/** Tenant tables (child tables first): the rows that live on an organization's own placement. */
const TENANT_TABLES = ['activity_event', 'invitation', 'comment', 'document'] as const;

async function prune(c: pg.Client, moved: string[], role: 'shared' | 'dedicated'): Promise<void> {
  await c.query('begin');
  await c.query('create temporary table moved (id uuid primary key) on commit drop');
  await c.query('insert into moved select unnest($1::uuid[])', [moved]);
  // On the dedicated placement the organizations that are not moved go; on the shared one the moved ones' tenant rows.
  const gone = role === 'dedicated' ? 'not in (select id from moved)' : 'in (select id from moved)';
  for (const table of TENANT_TABLES) await c.query(`delete from ${quoteIdent(table)} where organization_id ${gone}`);
  if (role === 'dedicated') {
    await c.query(`delete from membership where organization_id ${gone}`);
    await c.query(`delete from organization where id ${gone}`);
    // User copies: members of this placement's organizations only, never a password hash.
    await c.query('delete from "user" u where not exists (select from membership m where m.user_id = u.id)');
    await c.query('update "user" set password_hash = null');
    await c.query('delete from pending_sign_up');
  }
  // The directory (shared) and the placement's own record (dedicated) both name the placement.
  await c.query('update organization set placement = $1 where id in (select id from moved)', [DEDICATED_PLACEMENT]);
  await c.query('commit');
  await c.query('vacuum (full, analyze)');
}

/**
 * The organizations the hybrid case places on the dedicated placement: every other requesting
 * organization, starting with the first (500 of 1,000 in the real run; 2 of 3 in the smoke, so
 * the correctness gate's first samples reach both placements). The large organization of the
 * deep page stays shared.
 */
export function hybridOrganizations(data: SeededData): string[] {
  return data.tenants.filter((_, i) => i % 2 === 0).map((t) => t.organizationId);
}

/** Issue 10's target: the hybrid case's list throughput at least 95% of the single database's, in the same run. */
export const HYBRID_TARGET = 0.95;
/** The query the target is about: documents(first: 20). */
export const HYBRID_TARGET_QUERY: QueryName = 'list';

export interface HybridComparisonRow {
  query: QueryName;
  /** Closed-loop requests/s, median over rounds: `api` (one database) and `api-hybrid`. */
  singleRps: number;
  hybridRps: number;
  /** hybridRps / singleRps. */
  ratio: number;
  /** The same ratio round by round (the two run back to back in each round). */
  roundRatios: number[];
  singleStatementsPerRequest: number | null;
  hybridStatementsPerRequest: number | null;
  singleCpuMsPerRequest: number | null;
  hybridCpuMsPerRequest: number | null;
  /** Only for HYBRID_TARGET_QUERY: ratio >= HYBRID_TARGET. */
  met: boolean | null;
}

/** api-hybrid against api, query by query, from the closed-loop runs of this run. Empty without both. */
export function compareHybrid(summary: SummaryRow[], runs: RunResult[]): HybridComparisonRow[] {
  const rows: HybridComparisonRow[] = [];
  for (const single of summary.filter((r) => r.candidate === 'api')) {
    const hybrid = summary.find((r) => r.candidate === 'api-hybrid' && r.query === single.query);
    if (!hybrid) continue;
    const q = single.query as QueryName;
    const roundRps = (c: string) => new Map(runs.filter((r) => r.candidate === c && r.query === q).map((r) => [r.round, r.rps]));
    const a = roundRps('api');
    const h = roundRps('api-hybrid');
    const ratio = hybrid.rps / single.rps;
    rows.push({
      query: q,
      singleRps: single.rps,
      hybridRps: hybrid.rps,
      ratio,
      roundRatios: [...a.keys()].filter((k) => h.has(k)).map((k) => h.get(k)! / a.get(k)!),
      singleStatementsPerRequest: single.statementsPerRequest,
      hybridStatementsPerRequest: hybrid.statementsPerRequest,
      singleCpuMsPerRequest: single.cpuMsPerRequest,
      hybridCpuMsPerRequest: hybrid.cpuMsPerRequest,
      met: q === HYBRID_TARGET_QUERY ? ratio >= HYBRID_TARGET : null,
    });
  }
  return rows;
}
