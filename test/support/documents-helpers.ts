import { ActivityDocument, type ActivityQuery } from '../../src/client/generated/graphql.js';
import type { TestApp } from './app.js';
import { withSql } from './database.js';
import { gqlOk } from './graphql.js';

export type ActivityNode = ActivityQuery['activity']['edges'][number]['node'];

/** A well-formed UUID that names nothing. */
export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What must never reach a client: stack frames, SQL, ORM/driver names, file paths.
 * ("at " alone would match "must be at most", so stack frames are matched by their shape.)
 */
const LEAK_PATTERNS: [string, RegExp][] = [
  ['stack frame', /\bat (?:async )?[\w$.<>[\] ]+ \(|\bat (?:file|node):|\.[cm]?[jt]s:\d+:\d+/],
  ['select ', /select /i],
  ['insert ', /insert /i],
  ['MikroORM', /mikro-?orm/i],
  ['pg_', /pg_/i],
  ['node_modules', /node_modules/i],
];

/** The names of the leak patterns `raw` matches (expect it to equal []). */
export function leaks(raw: string): string[] {
  return LEAK_PATTERNS.filter(([, re]) => re.test(raw)).map(([name]) => name);
}

/** The organization's audit trail as its OWNER/ADMIN sees it, newest first. */
export async function activityOf(app: TestApp, token: string, first = 100): Promise<ActivityNode[]> {
  const res = await gqlOk(app, ActivityDocument, { first }, { token });
  return res.activity.edges.map((e) => e.node);
}

/** Rows of a query run on every placement's database (the shared one first), as stored. */
async function rowsEverywhere(app: TestApp, sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const url of app.databaseUrls()) rows.push(...(await withSql(url, async (c) => (await c.query(sql, params)).rows)));
  return rows;
}

/** A document row exactly as stored, plus `xmin` (changes on any write, even to equal values), on whichever placement holds it. */
export async function documentRow(app: TestApp, id: string): Promise<Record<string, unknown> | undefined> {
  return (await rowsEverywhere(app, 'select *, xmin::text as xmin from document where id = $1', [id]))[0];
}

/** All rows of a tenant table for one organization, as stored, in a stable order, from every placement (the shared one holds a dedicated organization's membership index). */
export async function tenantRows(app: TestApp, table: 'document' | 'membership' | 'activity_event', organizationId: string) {
  const order = table === 'membership' ? 'user_id' : 'id';
  return rowsEverywhere(app, `select *, xmin::text as xmin from "${table}" where organization_id = $1 order by ${order}`, [organizationId]);
}
