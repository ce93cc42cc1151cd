import pg from 'pg';
import { vi } from 'vitest';

/** One statement as PostgreSQL answered it. */
export interface SentCommand {
  text: string;
  /** The command tag's verb (`UPDATE`, `DELETE`, `SELECT`, ...), or `ERROR` when it failed. */
  command: string;
  /** Rows the statement affected or returned (the command tag's count); null for an error. */
  rowCount: number | null;
  /** The SQLSTATE of a failed statement. */
  code?: string;
}

type Callback = (err: Error | null, res: unknown) => void;
type Result = { command?: string; rowCount?: number | null };

/**
 * Every statement any pg client of this process sends while `fn` runs, with PostgreSQL's answer:
 * the command tag and row count (one entry per statement of a multi-statement string). Proves a
 * write was really sent and what it changed, where "nothing changed" alone could also mean
 * "nothing was sent". Works for both of pg's calling styles (callback, as knex uses, and promise).
 */
export async function commandsDuring(fn: () => Promise<unknown>): Promise<{ commands: SentCommand[]; error: unknown }> {
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  const commands: SentCommand[] = [];
  const record = (text: string, err: unknown, res: unknown) => {
    if (err) {
      commands.push({ text, command: 'ERROR', rowCount: null, code: (err as { code?: string }).code });
      return;
    }
    for (const r of (Array.isArray(res) ? res : [res]) as Result[]) commands.push({ text, command: r?.command ?? '?', rowCount: r?.rowCount ?? null });
  };
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    const text = typeof first === 'string' ? first : String(first?.text);
    const at = args.findIndex((a) => typeof a === 'function');
    if (at >= 0) {
      const callback = args[at] as Callback;
      args[at] = (err: Error | null, res: unknown) => {
        record(text, err, res);
        callback(err, res);
      };
      return original.apply(this, args);
    }
    const out = original.apply(this, args) as Promise<unknown> | undefined;
    return out && typeof out.then === 'function'
      ? out.then(
          (res) => (record(text, null, res), res),
          (err: unknown) => {
            record(text, err, null);
            throw err;
          },
        )
      : out;
  } as typeof pg.Client.prototype.query);
  let error: unknown;
  try {
    await fn();
  } catch (err) {
    error = err;
  } finally {
    spy.mockRestore();
  }
  return { commands, error };
}

/** The UPDATE and DELETE statements among `commands`, as `{ command, table, rowCount }`. */
export function writesOf(commands: SentCommand[]): { command: string; table: string; rowCount: number | null }[] {
  return commands
    .filter((c) => c.command === 'UPDATE' || c.command === 'DELETE')
    .map((c) => ({ command: c.command, table: /^\s*(?:update|delete\s+from)\s+"?(\w+)"?/i.exec(c.text)?.[1] ?? c.text, rowCount: c.rowCount }));
}
