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

/** A document row exactly as stored, plus `xmin` (changes on any write, even to equal values). */
export async function documentRow(app: TestApp, id: string): Promise<Record<string, unknown> | undefined> {
  return withSql(app.databaseUrl, async (c) => (await c.query('select *, xmin::text as xmin from document where id = $1', [id])).rows[0]);
}

/** All rows of a tenant table for one organization, as stored, in a stable order. */
export async function tenantRows(app: TestApp, table: 'document' | 'membership' | 'activity_event', organizationId: string) {
  const order = table === 'membership' ? 'user_id' : 'id';
  return withSql(app.databaseUrl, async (c) =>
    (await c.query(`select *, xmin::text as xmin from "${table}" where organization_id = $1 order by ${order}`, [organizationId])).rows,
  );
}
