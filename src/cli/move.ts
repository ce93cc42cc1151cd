import { SingleBar } from 'cli-progress';
import { latestMove, MOVE_STEPS, type MoveRecord, type MoveStep } from '../tenancy/mobility/move-journal.js';
import { abortMove, MoveError, MoveInterrupted, moveOrganization, type MoveProgress, type MoveReport } from '../tenancy/mobility/move.js';
import { withOwner } from '../tenancy/mobility/owner-connection.js';
import { purgeArchive, type PurgeReport } from '../tenancy/mobility/purge-archive.js';
import { findOrganization } from '../tenancy/mobility/find-organization.js';
import { SHARED_PLACEMENT } from '../tenancy/placement/placement-name.js';
import { CliError } from './cli-error.js';
import type { CommandOutput } from './command.js';
import { deploymentContext, knownPlacements } from './deployment-context.js';
import { renderTable } from './table.js';

/** `move`'s arguments. */
export interface MoveArguments {
  organization: string;
  to?: string;
  abort: boolean;
  json: boolean;
  mechanism?: 'paused_copy';
  /** Testing: stop right after this step, as a crash there would (--stop-after). */
  stopAfter?: MoveStep;
}

/** Every placement's owner URL by name, and the organization's id (given as id or slug). */
export async function resolve(organization: string) {
  const ctx = await deploymentContext();
  const urls = Object.fromEntries((await knownPlacements(ctx)).map((p) => [p.name, p.url]));
  const id = await findOrganization(urls[SHARED_PLACEMENT]!, organization);
  if (!id) throw new CliError(`No organization ${organization} (give its id or slug; \`npm run tenant -- list\` shows them).`);
  return { urls, id };
}

/**
 * `move <org> --to <placement>`: moves the organization (src/tenancy/mobility/move.ts), or
 * finishes the move an earlier run left unfinished; `--abort` rolls an unfinished one back.
 * On a terminal (and without --json) a progress bar of rows copied, then a summary.
 */
export async function moveCommand(args: MoveArguments): Promise<CommandOutput<MoveReport | MoveRecord | null>> {
  const { urls, id } = await resolve(args.organization);
  if (args.abort) {
    const record = await abortMove({ organizationId: id, urls });
    return { data: record, text: () => (record ? `Move ${record.id} of ${id} to ${record.target}: ${record.outcome === 'rolled_back' ? 'rolled back' : 'finished (it had switched already)'}.` : `No unfinished move of ${id}.`) };
  }
  // On a terminal only: a script reads the summary (or --json) and, on failure, one sentence.
  const live = !args.json && process.stderr.isTTY;
  const bar = live ? new SingleBar({ format: 'copying {bar} {percentage}% | {value}/{total} rows | {bytes} of {totalBytes} | {rate} rows/s', stream: process.stderr }) : undefined;
  const started = Date.now();
  const onProgress = (p: MoveProgress) => {
    if (p.copied !== undefined && p.total !== undefined) {
      const rate = Math.round(p.copied / Math.max((Date.now() - started) / 1000, 0.001));
      const sizes = { rate, bytes: megabytes(p.copiedBytes ?? 0), totalBytes: megabytes(p.totalBytes ?? 0) };
      if (bar && !bar.isActive) bar.start(p.total, 0, sizes);
      bar?.update(Math.min(p.copied, p.total), sizes);
      return;
    }
    bar?.stop();
    if (live) process.stderr.write(`${p.step}\n`);
  };
  try {
    const report = await moveOrganization({ organizationId: id, to: args.to!, urls, mechanism: args.mechanism, onProgress, stopAfter: args.stopAfter });
    return { data: report, text: () => summary(report) };
  } catch (err) {
    if (err instanceof MoveError || err instanceof MoveInterrupted) throw new CliError(err.message);
    throw err;
  } finally {
    bar?.stop();
  }
}

const megabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

function summary(report: MoveReport): string {
  const rows = Object.values(report.rows).reduce((a, b) => a + b, 0);
  const table = renderTable(['table', 'rows'], Object.entries(report.rows).map(([t, n]) => [t, String(n)]));
  return `${table}\nMoved ${report.organizationId} from ${report.from} to ${report.to} by ${report.mechanism.replace('_', ' ')}: ${rows} rows, verified (counts and hashes match); writes paused ${report.pauseMs} ms; ${(report.totalMs / 1000).toFixed(1)} s in all.`;
}

/** `status <org>`: where the organization's latest move stands (the journal). */
export async function statusCommand(organization: string): Promise<CommandOutput<MoveRecord | null>> {
  const { urls, id } = await resolve(organization);
  const move = await withOwner(urls[SHARED_PLACEMENT]!, (shared) => latestMove(shared, id));
  return {
    data: move,
    text: () => {
      if (!move) return `No move of ${id} was ever started.`;
      const where = move.finishedAt
        ? `finished after step ${move.step}: ${move.outcome === 'switched' ? `switched to ${move.target}` : `rolled back, still on ${move.source}`}`
        : `unfinished after step ${move.step} (${MOVE_STEPS.indexOf(move.step)} of ${MOVE_STEPS.length - 1}): run the same move again to finish it, or --abort it`;
      return `Move ${move.id} of ${id} from ${move.source} to ${move.target} by ${move.mechanism.replace('_', ' ')}: ${where}.`;
    },
  };
}

/** `purge-archive <org>`: deletes the organization's archived rows on placements that no longer serve it. */
export async function purgeArchiveCommand(organization: string): Promise<CommandOutput<PurgeReport>> {
  const { urls, id } = await resolve(organization);
  let report: PurgeReport;
  try {
    report = await purgeArchive(id, urls);
  } catch (err) {
    if (err instanceof Error && /^(A move|No organization)/.test(err.message)) throw new CliError(err.message);
    throw err;
  }
  return {
    data: report,
    text: () => {
      const rows = Object.entries(report).flatMap(([placement, tables]) => Object.entries(tables).map(([table, n]) => [placement, table, String(n)]));
      return rows.length ? renderTable(['placement', 'table', 'rows deleted'], rows) : `Nothing archived of ${id} anywhere.`;
    },
  };
}
