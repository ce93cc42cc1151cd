import type pg from 'pg';
import { assertUuid } from '../organization-id.js';

// Row-filtered logical replication of one organization's rows between two placement databases
// (PostgreSQL 15+: CREATE PUBLICATION ... WHERE, "Row Filters"). Names are derived from the
// move's id, so a rerun finds what an interrupted one made.

/** Publication, replication slot and subscription names of a move: `tq_move_<first 12 hex of its id>`. */
export function replicationName(moveId: string): string {
  return `tq_move_${assertUuid(moveId, 'move id').replaceAll('-', '').slice(0, 12)}`;
}

/** Whether the source can be a publisher: `wal_level = logical` (PostgreSQL: "Logical Replication", Configuration Settings). */
export async function logicalReplicationAvailable(source: pg.Client): Promise<boolean> {
  const { rows } = await source.query<{ wal_level: string }>('show wal_level');
  return rows[0]?.wal_level === 'logical';
}

/**
 * On the source: a publication of every tenant table, each with the row filter
 * `organization_id = '<organization>'`, publishing INSERT, UPDATE and DELETE only (TRUNCATE ignores
 * row filters: it would empty the target's table for every organization), listed table by table
 * (a `FOR TABLES IN SCHEMA` publication drops row filters); and a `pgoutput` replication slot of the
 * same name (made apart from the subscription: a subscription to a database of the same cluster
 * cannot make its own slot, CREATE SUBSCRIPTION "Notes"). The filter's column is in every tenant
 * table's replica identity (its primary key; the Citus-ready migration), or PostgreSQL would refuse
 * UPDATE and DELETE on the table for every tenant. Idempotent.
 */
export async function publish(source: pg.Client, name: string, organizationId: string, tables: string[]): Promise<void> {
  const org = assertUuid(organizationId, 'organization id');
  const exists = await source.query('select 1 from pg_publication where pubname = $1', [name]);
  if (exists.rowCount === 0) {
    const filtered = tables.map((t) => `${source.escapeIdentifier(t)} where ("organization_id" = '${org}')`).join(', ');
    await source.query(`create publication ${source.escapeIdentifier(name)} for table ${filtered} with (publish = 'insert, update, delete')`);
  }
  const slot = await source.query('select 1 from pg_replication_slots where slot_name = $1', [name]);
  if (slot.rowCount === 0) await source.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
}

/** A libpq key/value connection string for `url` (CREATE SUBSCRIPTION's CONNECTION), values quoted. */
export function conninfo(url: string): string {
  const u = new URL(url);
  const quote = (v: string) => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const parts: [string, string][] = [
    ['host', u.hostname || 'localhost'],
    ['port', u.port || '5432'],
    ['dbname', decodeURIComponent(u.pathname.slice(1))],
    ['user', decodeURIComponent(u.username)],
  ];
  if (u.password) parts.push(['password', decodeURIComponent(u.password)]);
  return parts.filter(([, v]) => v !== '').map(([k, v]) => `${k}=${quote(v)}`).join(' ');
}

/**
 * On the target: a subscription to the source's publication over the slot `publish` made, copying
 * the existing rows first (copy_data) and then applying changes as they happen. The apply runs as
 * the subscription's owner (the target's owner), in replica mode: triggers, the foreign keys
 * among them, do not fire (CREATE SUBSCRIPTION; "Logical Replication", Security). Idempotent.
 */
export async function subscribe(target: pg.Client, name: string, sourceUrl: string): Promise<void> {
  const exists = await target.query('select 1 from pg_subscription where subname = $1', [name]);
  if (exists.rowCount) return;
  const connection = conninfo(sourceUrl).replaceAll("'", "''");
  await target.query(
    `create subscription ${target.escapeIdentifier(name)} connection '${connection}' publication ${target.escapeIdentifier(name)}
       with (create_slot = false, slot_name = '${name}', copy_data = true)`,
  );
}

/** Whether every table of the subscription finished its initial copy (pg_subscription_rel: `r` ready or `s` synchronized). */
export async function initialCopyDone(target: pg.Client, name: string, tables: number): Promise<boolean> {
  const { rows } = await target.query<{ total: number; done: number }>(
    `select count(*)::int as total, count(*) filter (where r.srsubstate in ('r', 's'))::int as done
       from pg_subscription_rel r join pg_subscription s on s.oid = r.srsubid where s.subname = $1`,
    [name],
  );
  return rows[0]!.total === tables && rows[0]!.done === tables;
}

/**
 * Removes what `subscribe` and `publish` made, whatever of it exists: the subscription (detached
 * from its slot first, since the slot is dropped on the source here), the slot and the
 * publication. Nothing may be left behind: a slot keeps the source's WAL forever.
 */
export async function unpublish(source: pg.Client, target: pg.Client, name: string): Promise<void> {
  const sub = await target.query('select 1 from pg_subscription where subname = $1', [name]);
  if (sub.rowCount) {
    const id = target.escapeIdentifier(name);
    await target.query(`alter subscription ${id} disable`);
    await target.query(`alter subscription ${id} set (slot_name = none)`);
    await target.query(`drop subscription ${id}`);
  }
  // A slot still in use by a walsender that has not noticed yet: wait for it to let go.
  for (let tries = 0; ; tries++) {
    const slot = await source.query<{ active: boolean }>('select active from pg_replication_slots where slot_name = $1', [name]);
    if (!slot.rowCount) break;
    if (!slot.rows[0]!.active) {
      await source.query('select pg_drop_replication_slot($1)', [name]);
      break;
    }
    if (tries > 100) throw new Error(`replication slot ${name} is still in use on the source after 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await source.query(`drop publication if exists ${source.escapeIdentifier(name)}`);
}
