import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * The steps of a move, in order. `logical_replication`: prepared, published, copied (the initial
 * copy), paused (writes of the organization stop), caught_up, verified, switched, cleaned.
 * `paused_copy` (a source without wal_level=logical) pauses before copying: prepared, paused,
 * copied, caught_up, verified, switched, cleaned.
 */
export const MOVE_STEPS = ['started', 'prepared', 'published', 'copied', 'paused', 'caught_up', 'verified', 'switched', 'cleaned'] as const;
export type MoveStep = (typeof MOVE_STEPS)[number];
export type MoveMechanism = 'logical_replication' | 'paused_copy';

/** One move as the journal (the shared database's `tenant_move`) has it. */
export interface MoveRecord {
  id: string;
  organizationId: string;
  source: string;
  target: string;
  step: MoveStep;
  mechanism: MoveMechanism;
  /** What later steps and reports need: times (ms since epoch), counts, the placement epoch. */
  detail: Record<string, unknown>;
  finishedAt: Date | null;
  outcome: 'switched' | 'rolled_back' | null;
}

interface Row {
  id: string;
  moved_organization_id: string;
  source: string;
  target: string;
  step: MoveStep;
  mechanism: MoveMechanism;
  detail: Record<string, unknown>;
  finished_at: Date | null;
  outcome: 'switched' | 'rolled_back' | null;
}

const fromRow = (r: Row): MoveRecord => ({
  id: r.id,
  organizationId: r.moved_organization_id,
  source: r.source,
  target: r.target,
  step: r.step,
  mechanism: r.mechanism,
  detail: r.detail,
  finishedAt: r.finished_at,
  outcome: r.outcome,
});

/** Whether `step` is at or after `than` in MOVE_STEPS. */
export const reached = (step: MoveStep, than: MoveStep) => MOVE_STEPS.indexOf(step) >= MOVE_STEPS.indexOf(than);

/** The organization's unfinished move, if any (at most one: a partial unique index). */
export async function openMove(shared: pg.Client, organizationId: string): Promise<MoveRecord | null> {
  const { rows } = await shared.query<Row>('select * from "tenant_move" where "moved_organization_id" = $1 and "finished_at" is null', [organizationId]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** The organization's latest move, finished or not (for `status`). */
export async function latestMove(shared: pg.Client, organizationId: string): Promise<MoveRecord | null> {
  const { rows } = await shared.query<Row>('select * from "tenant_move" where "moved_organization_id" = $1 order by "started_at" desc limit 1', [organizationId]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** Journals a new move at step `started`. */
export async function startMove(shared: pg.Client, move: Pick<MoveRecord, 'organizationId' | 'source' | 'target' | 'mechanism'>): Promise<MoveRecord> {
  const { rows } = await shared.query<Row>(
    `insert into "tenant_move" ("id", "moved_organization_id", "source", "target", "step", "mechanism") values ($1, $2, $3, $4, 'started', $5) returning *`,
    [randomUUID(), move.organizationId, move.source, move.target, move.mechanism],
  );
  return fromRow(rows[0]!);
}

/** Records that `move` completed `step`, merging `detail` into what the journal holds; returns the updated record. */
export async function recordStep(shared: pg.Client, move: MoveRecord, step: MoveStep, detail: Record<string, unknown> = {}): Promise<MoveRecord> {
  const { rows } = await shared.query<Row>(
    `update "tenant_move" set "step" = $2, "detail" = "detail" || $3::jsonb, "updated_at" = now() where "id" = $1 returning *`,
    [move.id, step, JSON.stringify(detail)],
  );
  return fromRow(rows[0]!);
}

/** Closes the journal entry of `move` with its outcome. */
export async function finishMove(shared: pg.Client, move: MoveRecord, outcome: 'switched' | 'rolled_back', detail: Record<string, unknown> = {}): Promise<MoveRecord> {
  const { rows } = await shared.query<Row>(
    `update "tenant_move" set "finished_at" = now(), "outcome" = $2, "detail" = "detail" || $3::jsonb, "updated_at" = now() where "id" = $1 returning *`,
    [move.id, outcome, JSON.stringify(detail)],
  );
  return fromRow(rows[0]!);
}
