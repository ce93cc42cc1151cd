import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { accountCanReach, type ServerAccount } from './embedded-account.js';
import { copyBinaries, type PostgresBinaries } from './embedded-binaries.js';
import { EmbeddedDatabaseError } from './embedded-error.js';

// Where the server's programs and files live. Normally: the installed build, and the cluster in
// `<dataDir>/postgres`. When we are root and the server's account cannot reach one of them (a
// project cloned under /root, or in a `mktemp -d` directory, both mode 0700), that one moves to a
// directory every account can pass through, instead of opening up directories we do not own.

/** Default home for relocated builds and clusters (an OS's usual place for service state). */
export const RELOCATION_ROOT = '/var/lib/tenantql';
/** In the data directory: the absolute path of its relocated cluster, so later starts find it. */
const LOCATION_RECORD = 'postgres-location';
/** In a relocated cluster's parent: the data directory it belongs to. */
const OWNER_RECORD = 'data-dir';

type Log = Pick<Logger, 'info' | 'warn'>;

const closedTo = (account: ServerAccount, path: string) =>
  `the "${account.name}" account that PostgreSQL runs as cannot reach ${path} (a parent directory is closed to it)`;

/** The installed build, or (root, unreachable build) a copy of it under `relocationRoot`. */
export async function reachableBinaries(binaries: PostgresBinaries, account: ServerAccount | undefined, relocationRoot: string, logger?: Log): Promise<PostgresBinaries> {
  const needed = (b: PostgresBinaries) => [b.postgres, b.initdb, join(b.root, 'lib'), join(b.root, 'share')];
  if (!account || (await accountCanReach(account, needed(binaries)))) return binaries;
  await makeReachableDir(relocationRoot, account);
  const copy = await copyBinaries(binaries, relocationRoot);
  if (!(await accountCanReach(account, needed(copy)))) throw new EmbeddedDatabaseError(`Copied the PostgreSQL programs to ${copy.root}, but ${closedTo(account, copy.root)}: set DATABASE_URL to use your own server.`);
  logger?.info(`embedded PostgreSQL runs its programs from ${copy.root}: ${closedTo(account, binaries.root)}`);
  return copy;
}

/** Where a data directory's cluster lives; `disposable` is what to delete when it is thrown away. */
export interface ClusterLocation {
  clusterDir: string;
  disposable: string[];
}

/**
 * `<dataDir>/postgres`, or where an earlier start relocated it (recorded in the data directory),
 * or, for root when the account cannot reach the data directory, a new place under
 * `relocationRoot/clusters/<hash of the data directory's absolute path>`.
 * Throws EmbeddedDatabaseError when nowhere fits.
 */
export async function locateCluster(dataDir: string, account: ServerAccount | undefined, relocationRoot: string, fresh: (dir: string) => Promise<boolean>, logger?: Log): Promise<ClusterLocation> {
  const record = join(dataDir, LOCATION_RECORD);
  const recorded = await readFile(record, 'utf8').then((s) => s.trim(), () => undefined);
  if (recorded !== undefined) {
    // Checked before use: stop() may delete the recorded cluster's home.
    const home = dirname(recorded);
    const owner = await readFile(join(home, OWNER_RECORD), 'utf8').then((s) => s.trim(), () => undefined);
    if (!isAbsolute(recorded) || basename(recorded) !== 'postgres' || owner !== dataDir) {
      throw new EmbeddedDatabaseError(`${record} names ${recorded}, which is not a cluster made for ${dataDir}: delete ${record} to start a new cluster.`);
    }
    return { clusterDir: recorded, disposable: [home, record] };
  }
  const inPlace = join(dataDir, 'postgres');
  if (!account || (await accountCanReach(account, [dataDir]))) {
    if (account) await makeServerDir(inPlace, account);
    return { clusterDir: inPlace, disposable: [inPlace] };
  }
  if (!(await fresh(inPlace))) throw new EmbeddedDatabaseError(`The embedded cluster in ${inPlace} cannot be used: ${closedTo(account, dataDir)}; move the project (or DATA_DIR) somewhere it can reach, or set DATABASE_URL.`);

  const home = join(relocationRoot, 'clusters', createHash('sha256').update(dataDir).digest('hex').slice(0, 16));
  await claimHome(home, dataDir, account, logger);
  await makeReachableDir(home, account);
  await writeFile(join(home, OWNER_RECORD), `${dataDir}\n`, { mode: 0o644 });
  const clusterDir = join(home, 'postgres');
  await makeServerDir(clusterDir, account);
  await writeFile(record, `${clusterDir}\n`, { mode: 0o600 });
  logger?.info(`embedded PostgreSQL keeps its cluster in ${clusterDir}: ${closedTo(account, dataDir)}`);
  return { clusterDir, disposable: [home, record] };
}

/**
 * A relocated home without a record in its data directory was left by an earlier data directory
 * at the same path (deleted since, and with it the cluster's password): its data cannot be read
 * any more, so it is removed, saying so. A home that names another data directory is never touched.
 */
async function claimHome(home: string, dataDir: string, account: ServerAccount, logger?: Log): Promise<void> {
  const owner = await readFile(join(home, OWNER_RECORD), 'utf8').then((s) => s.trim(), () => undefined);
  if (owner === undefined) return;
  if (owner !== dataDir) throw new EmbeddedDatabaseError(`${home} belongs to the data directory ${owner}, not ${dataDir}: ${closedTo(account, dataDir)}; set DATA_DIR to a directory it can reach.`);
  logger?.warn(`removing the embedded cluster in ${home}: it was made for an earlier ${dataDir}, whose password file is gone`);
  await rm(home, { recursive: true, force: true });
}

/** Creates `dir` (and missing parents) as world-searchable (0755, whatever the umask); only directories created here change mode. */
async function makeReachableDir(dir: string, account: ServerAccount): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o755 });
  if (first) {
    for (let d = dir; ; d = dirname(d)) {
      await chmod(d, 0o755);
      if (d === first) break;
    }
  }
  if (!(await accountCanReach(account, [dir]))) throw new EmbeddedDatabaseError(`Cannot keep the embedded PostgreSQL in ${dir}: ${closedTo(account, dir)}; set DATABASE_URL to use your own server.`);
}

/** The cluster directory, owned by the server's account with the mode PostgreSQL requires (0700). */
async function makeServerDir(dir: string, account: ServerAccount): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chown(dir, account.uid, account.gid);
}

