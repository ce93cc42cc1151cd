import type pg from 'pg';
import { tenantFilteredEntities } from '../../db/entities/index.js';
import { assertUuid } from '../organization-id.js';
import { appliedMigrations } from '../placement/placement-census.js';
import { SHARED_PLACEMENT } from '../placement/placement-name.js';
import { digestDifferences, organizationDigest, type OrganizationDigest } from './move-digest.js';
import { finishMove, openMove, reached, recordStep, startMove, type MoveMechanism, type MoveRecord, type MoveStep } from './move-journal.js';
import { inTransaction, ORGANIZATION_LOCK_KEY, withOwner } from './owner-connection.js';
import { initialCopyDone, logicalReplicationAvailable, publish, replicationName, subscribe, unpublish } from './replication.js';

/** What a move needs: the organization, where it goes, and every placement's owner URL (`shared` included). */
export interface MoveOptions {
  organizationId: string;
  /** The target placement's name. */
  to: string;
  /** Owner URLs by placement name. */
  urls: Record<string, string>;
  /** `paused_copy` forces the copy under a write pause even where logical replication is available. */
  mechanism?: 'auto' | 'paused_copy';
  /** Progress for a terminal or a log: the step reached, and rows copied so far against rows to copy. */
  onProgress?: (event: MoveProgress) => void;
  /** Test hook: stop (MoveInterrupted) right after journaling this step, as a crash there would. */
  stopAfter?: MoveStep;
  /** How long (ms) the initial copy and the catch-up may take before the move gives up (it stays resumable). */
  timeoutMs?: number;
}

export interface MoveProgress {
  step: MoveStep;
  /** Rows of the organization on the target / on the source, over all tenant tables (during the copy). */
  copied?: number;
  total?: number;
  /** Bytes copied so far / to copy, estimated from the source's row sizes (pg_column_size of each row). */
  copiedBytes?: number;
  totalBytes?: number;
}

/** What a finished move reports (`--json` prints it). */
export interface MoveReport {
  moveId: string;
  organizationId: string;
  from: string;
  to: string;
  mechanism: MoveMechanism;
  /** The organization's rows per tenant table, as verified on both sides. */
  rows: Record<string, number>;
  /** How long (ms) the organization's writes were paused: from the pause to the switch. */
  pauseMs: number;
  /** How long (ms) the whole move took, the initial copy included. */
  totalMs: number;
  verification: 'match';
}

/** A move stopped on purpose after a step (the test hook); rerunning the command resumes it. */
export class MoveInterrupted extends Error {
  override name = 'MoveInterrupted';
}

/** A move cannot go on; the sentence says why and what to do. Nothing was switched. */
export class MoveError extends Error {
  override name = 'MoveError';
}

const POLL_MS = 100;

/** The tenant tables (those the tenant filter covers), parents before children (foreign keys). */
export function moveTables(): string[] {
  const order = ['membership', 'invitation', 'document', 'comment', 'file', 'activity_event'];
  const tables = tenantFilteredEntities.map((e) => e.meta.tableName);
  return [...tables].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
}

/**
 * Moves an organization to another placement while it keeps being served, or finishes the move
 * an earlier run left unfinished (the journal says where it stopped; every step can be run again).
 * Logical replication (the source has wal_level=logical): the organization's rows are copied and
 * kept in step by a row-filtered subscription while it works; then its writes pause (reads go on,
 * read only), the target catches up, both sides' counts and hashes are compared, and the
 * directory and both placements switch to the next epoch in one go; replication is removed. Without
 * logical replication the copy happens under the pause. Rows on the source stay, archived.
 * Throws MoveError (refused, or verification failed: nothing switched, rerun or abort), connection
 * errors as the driver raises them, MoveInterrupted from the test hook.
 */
export async function moveOrganization(options: MoveOptions): Promise<MoveReport> {
  const organizationId = assertUuid(options.organizationId, 'organization id');
  const { urls, to } = options;
  const sharedUrl = urls[SHARED_PLACEMENT]!;
  return withOwner(sharedUrl, async (shared) => {
    const entry = await directoryEntry(shared, organizationId);
    let move = await openMove(shared, organizationId);
    if (move && move.target !== to) throw new MoveError(`A move of this organization to ${move.target} is unfinished: run it again with --to ${move.target}, or --abort it.`);
    if (!move) {
      if (entry.placement === to) throw new MoveError(`The organization is on ${to} already.`);
      if (entry.state !== 'active') throw new MoveError(`The organization is ${entry.state}: only an active organization can move.`);
      if (!urls[to]) throw new MoveError(`No placement ${to}: the placements are ${Object.keys(urls).join(', ')}.`);
      const mechanism = options.mechanism === 'paused_copy' ? 'paused_copy' : await withOwner(urls[entry.placement]!, async (s) => ((await logicalReplicationAvailable(s)) ? 'logical_replication' : 'paused_copy'));
      move = await startMove(shared, { organizationId, source: entry.placement, target: to, mechanism });
    }
    const run = new MoveRun(shared, move, urls, options);
    return run.toTheEnd();
  });
}

/**
 * Rolls back the organization's unfinished move, from any step before the switch: replication
 * removed, the organization's rows on the target deleted, its writes resumed on the source.
 * After the switch there is nothing to roll back: the move is finished instead. Returns the
 * journal entry, or null when no move was open.
 */
export async function abortMove(options: Pick<MoveOptions, 'organizationId' | 'urls'>): Promise<MoveRecord | null> {
  const organizationId = assertUuid(options.organizationId, 'organization id');
  return withOwner(options.urls[SHARED_PLACEMENT]!, async (shared) => {
    const move = await openMove(shared, organizationId);
    if (!move) return null;
    const run = new MoveRun(shared, move, options.urls, { ...options, to: move.target });
    if (reached(move.step, 'switched')) return (await run.toTheEnd(), await openMove(shared, organizationId)) ?? move;
    return run.rollBack();
  });
}

interface DirectoryRow {
  placement: string;
  state: string;
  placement_epoch: number;
}

async function directoryEntry(shared: pg.Client, organizationId: string): Promise<DirectoryRow> {
  const { rows } = await shared.query<DirectoryRow>('select "placement", "state", "placement_epoch" from "organization" where "id" = $1', [organizationId]);
  if (!rows[0]) throw new MoveError(`No organization ${organizationId} in the directory.`);
  return rows[0];
}

/** Sets the organization for the rest of the transaction: row-level security binds an owner that is not a superuser too (FORCE). */
const asOrganization = (client: pg.Client, organizationId: string) => client.query(`select set_config('app.organization_id', $1, true)`, [organizationId]);

class MoveRun {
  private readonly tables = moveTables();
  private readonly name: string;
  private readonly started = Date.now();

  constructor(
    private readonly shared: pg.Client,
    private move: MoveRecord,
    private readonly urls: Record<string, string>,
    private readonly options: Omit<MoveOptions, 'urls'>,
  ) {
    this.name = replicationName(move.id);
  }

  private get org() {
    return this.move.organizationId;
  }

  private url(placement: string): string {
    const url = this.urls[placement];
    if (!url) throw new MoveError(`Placement ${placement} of this move is not configured here.`);
    return url;
  }

  private async step(step: MoveStep, detail: Record<string, unknown> = {}): Promise<void> {
    this.move = await recordStep(this.shared, this.move, step, detail);
    this.afterStep(step);
  }

  /** Reports a journaled step, and stops there when the test hook asks to. */
  private afterStep(step: MoveStep): void {
    this.options.onProgress?.({ step });
    if (this.options.stopAfter === step) throw new MoveInterrupted(`The move stopped after step ${step} (--stop-after): run it again to finish it.`);
  }

  private both<T>(fn: (source: pg.Client, target: pg.Client) => Promise<T>): Promise<T> {
    return withOwner(this.url(this.move.source), (source) => withOwner(this.url(this.move.target), (target) => fn(source, target)));
  }

  async toTheEnd(): Promise<MoveReport> {
    const logical = this.move.mechanism === 'logical_replication';
    if (!reached(this.move.step, 'prepared')) await this.prepare();
    if (logical && !reached(this.move.step, 'published')) await this.publishAndSubscribe();
    if (logical && !reached(this.move.step, 'copied')) await this.waitForInitialCopy();
    if (!reached(this.move.step, 'paused')) await this.pause();
    if (!logical && !reached(this.move.step, 'caught_up')) await this.copyUnderPause();
    if (!reached(this.move.step, 'caught_up')) await this.catchUp();
    if (!reached(this.move.step, 'verified')) await this.verify();
    if (!reached(this.move.step, 'switched')) await this.switchPlacement();
    if (!reached(this.move.step, 'cleaned')) await this.cleanUp();
    const d = this.move.detail;
    return {
      moveId: this.move.id,
      organizationId: this.org,
      from: this.move.source,
      to: this.move.target,
      mechanism: this.move.mechanism,
      rows: d.rows as Record<string, number>,
      pauseMs: Number(d.switchedAt) - Number(d.pausedAt),
      totalMs: Date.now() - Number(d.startedAt ?? this.started),
      verification: 'match',
    };
  }

  /**
   * The target gets the organization's own row (archived there: it refuses requests until the
   * switch) and copies of its members' users; rows of the organization already there are an
   * archive of an earlier move away (refused otherwise, naming them). Moving to the shared
   * database, its membership index rows make way for the copied memberships.
   */
  private async prepare(): Promise<void> {
    const { target } = this.move;
    await this.both(async (src, dst) => {
      // A schema difference would stop the subscription's apply (or the copy) half way: same migrations on both sides, or no move.
      const [srcSchema, dstSchema] = [await appliedMigrations(src), await appliedMigrations(dst)];
      if (srcSchema.join() !== dstSchema.join()) {
        throw new MoveError(`The schemas differ: ${this.move.source} is at ${srcSchema.at(-1) ?? 'nothing'}, ${target} at ${dstSchema.at(-1) ?? 'nothing'}; start the server (or run the migrations) so that both are migrated first.`);
      }
      const entry = (await dst.query<{ state: string; placement: string }>('select "state", "placement" from "organization" where "id" = $1', [this.org])).rows[0];
      const held = await this.rowsOf(dst);
      const total = Object.values(held).reduce((a, b) => a + b, 0);
      // An archive: rows a move left where the organization is no longer served (a dedicated
      // placement's own row says `archived`; on the shared database, whose row is the directory's,
      // the directory names another placement).
      const archived = entry && (entry.state === 'archived' || entry.placement !== target);
      const indexOnly = target === SHARED_PLACEMENT && total === held.membership;
      if (total > 0 && !archived && !indexOnly && !reached(this.move.step, 'prepared')) {
        throw new MoveError(`Placement ${target} already holds ${total} rows of this organization that no earlier move archived there: remove them first.`);
      }
      const epoch = (await directoryEntry(this.shared, this.org)).placement_epoch;
      const members = await src.query('select u."id", u."email", u."name", u."created_at" from "user" u join "membership" m on m."user_id" = u."id" where m."organization_id" = $1', [this.org]);
      const organization = (await src.query('select "id", "name", "slug", "tier", "created_at" from "organization" where "id" = $1', [this.org])).rows[0];
      // Moving to the shared database, the journal is in the same database: the index rows make way
      // in the transaction that records `prepared`, so an abort after a crash here finds them gone
      // only if the journal says so (and then restores them from the source).
      const writer = target === SHARED_PLACEMENT ? this.shared : dst;
      await inTransaction(writer, async () => {
        const dst = writer;
        await asOrganization(dst, this.org);
        for (const table of [...this.tables].reverse()) await dst.query(`delete from ${dst.escapeIdentifier(table)} where "organization_id" = $1`, [this.org]);
        if (target !== SHARED_PLACEMENT) {
          await dst.query(
            `insert into "organization" ("id", "name", "slug", "tier", "created_at", "placement", "state", "placement_epoch") values ($1, $2, $3, $4, $5, $6, 'archived', $7)
             on conflict ("id") do update set "placement" = excluded."placement", "state" = 'archived', "placement_epoch" = excluded."placement_epoch"`,
            [organization.id, organization.name, organization.slug, organization.tier, organization.created_at, target, epoch],
          );
          for (const u of members.rows) {
            await dst.query('insert into "user" ("id", "email", "name", "created_at", "password_hash") values ($1, $2, $3, $4, null) on conflict ("id") do nothing', [u.id, u.email, u.name, u.created_at]);
          }
        }
        if (writer === this.shared) this.move = await recordStep(this.shared, this.move, 'prepared', { startedAt: this.started, epoch });
      });
    });
    if (this.move.step === 'prepared') this.afterStep('prepared');
    else await this.step('prepared', { startedAt: this.started, epoch: (await directoryEntry(this.shared, this.org)).placement_epoch });
  }

  private async publishAndSubscribe(): Promise<void> {
    await this.both(async (src, dst) => {
      await publish(src, this.name, this.org, this.tables);
      await subscribe(dst, this.name, this.url(this.move.source));
    });
    await this.step('published');
  }

  private async waitForInitialCopy(): Promise<void> {
    await this.both(async (src, dst) => {
      const total = sum(await this.rowsOf(src));
      const totalBytes = await this.bytesOf(src);
      await this.until('the initial copy', async () => {
        const done = await initialCopyDone(dst, this.name, this.tables.length);
        const copied = sum(await this.rowsOf(dst));
        this.options.onProgress?.({ step: 'published', copied, total, copiedBytes: total ? Math.round((totalBytes * copied) / total) : 0, totalBytes });
        return done;
      });
    });
    await this.step('copied');
  }

  /**
   * Stops the organization's writes on the source: its advisory lock taken EXCLUSIVE waits for
   * every transaction of the organization under way (they hold it shared, entered by
   * enter_organization), then its state becomes `moving` there and in the directory: from then on
   * its requests enter read only. Other organizations never wait.
   */
  private async pause(): Promise<void> {
    await withOwner(this.url(this.move.source), (src) =>
      inTransaction(src, async () => {
        await src.query(`select pg_advisory_xact_lock(${ORGANIZATION_LOCK_KEY})`, [this.org]);
        await src.query(`update "organization" set "state" = 'moving' where "id" = $1`, [this.org]);
      }),
    );
    if (this.move.source !== SHARED_PLACEMENT) await this.shared.query(`update "organization" set "state" = 'moving' where "id" = $1`, [this.org]);
    await this.step('paused', { pausedAt: Date.now() });
  }

  /** Without logical replication: the rows copied table by table while writes are paused. */
  private async copyUnderPause(): Promise<void> {
    await this.both(async (src, dst) => {
      await inTransaction(dst, async () => {
        await asOrganization(dst, this.org);
        for (const table of [...this.tables].reverse()) await dst.query(`delete from ${dst.escapeIdentifier(table)} where "organization_id" = $1`, [this.org]);
        for (const table of this.tables) {
          const { rows } = await src.query(`select * from ${src.escapeIdentifier(table)} where "organization_id" = $1`, [this.org]);
          for (const row of rows) {
            const columns = Object.keys(row);
            await dst.query(
              `insert into ${dst.escapeIdentifier(table)} (${columns.map((c) => dst.escapeIdentifier(c)).join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
              Object.values(row),
            );
          }
        }
      });
    });
    await this.step('copied');
  }

  /**
   * Waits until the target holds what the source holds (writes are paused: the source no longer
   * changes): the source's digest once, the target's until it is equal. Equal digests are the
   * verification too, so both steps are journaled at once: the pause lasts one digest of each side
   * (computed side by side) plus the catch-up itself, not two.
   */
  private async catchUp(): Promise<void> {
    const wanted = await this.both(async (src, dst) => {
      const [source, first] = await Promise.all([organizationDigest(src, this.org, this.tables), organizationDigest(dst, this.org, this.tables)]);
      let current = first;
      await this.until('the catch-up', async () => {
        if (digestDifferences(source, current).length === 0) return true;
        current = await organizationDigest(dst, this.org, this.tables);
        return digestDifferences(source, current).length === 0;
      });
      return source;
    });
    await this.step('caught_up');
    await this.step('verified', { rows: rowsOfDigest(wanted) });
  }

  /** Verification on its own, for a move resumed after `caught_up`: both sides' counts and hashes compared. */
  private async verify(): Promise<void> {
    const [a, b] = await this.both((src, dst) => Promise.all([organizationDigest(src, this.org, this.tables), organizationDigest(dst, this.org, this.tables)]));
    const differ = digestDifferences(a, b);
    if (differ.length > 0) throw new MoveError(`Verification failed: ${differ.join(', ')} differ between ${this.move.source} and ${this.move.target}; nothing was switched. Run the move again, or --abort it.`);
    await this.step('verified', { rows: rowsOfDigest(a) });
  }

  /**
   * The switch, to the next epoch: the target serves the organization, the source refuses it
   * (archived), the directory points to the target; the journal records it in the directory's own
   * transaction. Where the shared database is one side, its row is the directory row.
   */
  private async switchPlacement(): Promise<void> {
    const epoch = Number(this.move.detail.epoch) + 1;
    const { source, target } = this.move;
    const set = (client: pg.Client, state: string) =>
      client.query(`update "organization" set "placement" = $2, "state" = $3, "placement_epoch" = $4 where "id" = $1`, [this.org, target, state, epoch]);
    if (target !== SHARED_PLACEMENT) await withOwner(this.url(target), (dst) => set(dst, 'active'));
    if (source !== SHARED_PLACEMENT) await withOwner(this.url(source), (src) => set(src, 'archived'));
    await inTransaction(this.shared, async () => {
      await set(this.shared, 'active');
      this.move = await recordStep(this.shared, this.move, 'switched', { switchedAt: Date.now(), epoch });
    });
    this.options.onProgress?.({ step: 'switched' });
    if (this.options.stopAfter === 'switched') throw new MoveInterrupted("The move stopped after step switched (--stop-after): run it again to finish it.");
  }

  private async cleanUp(): Promise<void> {
    await this.both((src, dst) => unpublish(src, dst, this.name));
    await withOwner(this.url(this.move.target), (dst) =>
      inTransaction(dst, async () => {
        await asOrganization(dst, this.org);
        await dst.query(
          `insert into "activity_event" ("id", "organization_id", "actor_id", "action", "target_type", "target_id", "request_id", "created_at")
           values (gen_random_uuid(), $1, null, 'organization.move', 'Organization', $1, $2, now())`,
          [this.org, `move:${this.move.id}`],
        );
      }),
    );
    this.move = await recordStep(this.shared, this.move, 'cleaned');
    this.move = await finishMove(this.shared, this.move, 'switched');
    this.options.onProgress?.({ step: 'cleaned' });
  }

  /** Back to where the organization was: replication removed, its rows on the target deleted, its writes resumed. */
  async rollBack(): Promise<MoveRecord> {
    const { source, target } = this.move;
    // Before `prepared` the target holds nothing of this move's (a refused prepare touched nothing there).
    const copied = reached(this.move.step, 'prepared');
    await this.both(async (src, dst) => {
      await unpublish(src, dst, this.name);
      if (copied) await inTransaction(dst, async () => {
        await asOrganization(dst, this.org);
        for (const table of [...this.tables].reverse()) await dst.query(`delete from ${dst.escapeIdentifier(table)} where "organization_id" = $1`, [this.org]);
        if (target === SHARED_PLACEMENT) {
          // The membership index the move made way for, back from the source's memberships.
          const { rows } = await src.query('select "organization_id", "user_id", "role", "created_at" from "membership" where "organization_id" = $1', [this.org]);
          for (const m of rows) await dst.query('insert into "membership" ("organization_id", "user_id", "role", "created_at") values ($1, $2, $3, $4)', [m.organization_id, m.user_id, m.role, m.created_at]);
        }
      });
      await src.query(`update "organization" set "state" = 'active' where "id" = $1 and "state" = 'moving'`, [this.org]);
    });
    if (source !== SHARED_PLACEMENT) await this.shared.query(`update "organization" set "state" = 'active' where "id" = $1 and "state" = 'moving'`, [this.org]);
    this.move = await finishMove(this.shared, this.move, 'rolled_back', { rolledBackAt: Date.now() });
    return this.move;
  }

  /** Counts of the organization's rows per tenant table on `client`'s database. */
  private async rowsOf(client: pg.Client): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of this.tables) {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${client.escapeIdentifier(table)} where "organization_id" = $1`, [this.org]);
      counts[table] = rows[0]!.n;
    }
    return counts;
  }

  /** The organization's rows' size in bytes on `client`'s database (pg_column_size of each row, summed). */
  private async bytesOf(client: pg.Client): Promise<number> {
    let bytes = 0;
    for (const table of this.tables) {
      const { rows } = await client.query<{ n: string }>(`select coalesce(sum(pg_column_size(t.*)), 0)::text as n from ${client.escapeIdentifier(table)} t where t."organization_id" = $1`, [this.org]);
      bytes += Number(rows[0]!.n);
    }
    return bytes;
  }

  private async until(what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + (this.options.timeoutMs ?? 120_000);
    while (!(await done())) {
      if (Date.now() > deadline) throw new MoveError(`Timed out waiting for ${what}; the move can be resumed by running it again, or rolled back with --abort.`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const rowsOfDigest = (d: OrganizationDigest) => Object.fromEntries(Object.entries(d).map(([t, v]) => [t, v.rows]));
