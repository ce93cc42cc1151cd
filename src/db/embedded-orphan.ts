import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

// A PostgreSQL server survives the process that started it when that process is killed hard
// (SIGKILL, OOM killer): nothing runs to stop it. The next `npm start` then fails on the
// cluster's lock file, and the generic "is the port taken?" advice does not help (the same
// cluster cannot run twice on any port). So start-up looks for that case first and says so.
//
// It only reports: stopping the server here would need certainty that no other deployment
// (another checkout's `npm start`, an operator's pg_ctl) is using this cluster on purpose, and
// a pid file cannot give that.

/**
 * The pid of a live PostgreSQL server that holds `clusterDir` (its `postmaster.pid`, first line:
 * the postmaster's pid), or undefined when there is no pid file, the process is gone, or (where
 * /proc exists) the pid now belongs to a process that is not `postgres` (a stale file whose pid
 * was reused; the server itself then replaces the file). Never throws.
 */
export async function livePostmaster(clusterDir: string): Promise<number | undefined> {
  const text = await readFile(join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]?.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
  } catch (err) {
    // EPERM: it exists, under another account (run as root, the server is `postgres`'s).
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  const command = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined);
  if (command !== undefined && !/postgres|postmaster/.test(command)) return undefined;
  return pid;
}

/** The one-sentence refusal for a cluster a live server holds (livePostmaster), with the remedy. */
export function orphanMessage(clusterDir: string, pid: number): string {
  return (
    `The embedded PostgreSQL of ${clusterDir} is already running as process ${pid}, ` +
    `probably left by an earlier run that was killed (changing EMBEDDED_PG_PORT does not help: one cluster runs once): ` +
    `stop it with \`kill -INT ${pid}\` (a fast, clean shutdown), then start again.`
  );
}
