import pg from 'pg';
import type { Logger } from 'pino';
import type { AppConfig, DeploymentMode } from '../../config/index.js';
import { migratePlacement, servingProblems } from '../../db/placement-database.js';
import { connectOrm, type Orm } from '../../db/orm.js';
import { servingConnection } from '../../db/serving-connection.js';
import { sessionPoolingProblems } from '../../db/session-pooling-check.js';
import { isConnectionFailure, PlacementUnavailableError } from './placement-errors.js';
import { SHARED_PLACEMENT } from './placement-name.js';

export interface PlacementPoolOptions {
  mode: DeploymentMode;
  /** How serving connections log in and whether a transaction pooler sits in front (DB_POOL_MODE, DATABASE_SERVING_URL). */
  database: Pick<AppConfig['database'], 'poolMode' | 'servingUrl'>;
  /** Connections per placement pool (DB_POOL_MAX). */
  poolMax: number;
  /** Connections across all pools, the shared one included (DB_POOL_TOTAL_MAX). */
  totalPoolMax: number;
  /** A dedicated pool unused this long (ms) is closed (PLACEMENT_POOL_IDLE_MS). */
  idleMs: number;
  /** Production: a serving role that could bypass row-level security refuses the placement (else a warning). */
  strictRole: boolean;
  logger: Logger;
  /** The dedicated placements' URLs, read on each use: configured ones and those created on the embedded server. */
  urls: () => Record<string, string>;
  /** Re-reads what `urls` returns, when a placement is asked for that it does not list (one created while running). */
  refresh?: () => Promise<void>;
}

/** How a placement looks from this instance (GET /readyz, `npm run tenant -- placements`). */
export interface PlacementStatus {
  name: string;
  /** `ready`: a pool is open and answers; `idle`: no pool open, the database answers; `unavailable`: it does not; `refused`: its schema or security is wrong. */
  status: 'ready' | 'idle' | 'unavailable' | 'refused';
  reason?: string;
}

interface Dedicated {
  orm?: Orm;
  opening?: Promise<Orm>;
  /** Set while the placement is refused or failed: no new attempt before this time (ms since epoch). */
  retryAt?: number;
  failure?: { status: 'unavailable' | 'refused'; reason: string };
  lastUsed: number;
  inFlight: number;
}

/** A failed connection attempt is retried after this long (ms); a refused schema after the longer wait. */
const RETRY_UNAVAILABLE_MS = 1_000;
const RETRY_REFUSED_MS = 30_000;
/** A readiness probe of a placement without an open pool gives up after this long (ms). */
const PROBE_TIMEOUT_MS = 2_000;

/**
 * One serving connection pool per placement, opened on first use and bounded: each at most
 * `poolMax` connections, and no more pools open than `totalPoolMax` allows (the least recently
 * used idle one is closed to make room; with none idle the request gets PlacementUnavailableError).
 * Opening a dedicated placement first migrates it and checks it as its owner (the same schema,
 * row-level security and serving role on every placement; src/db/placement-database.ts); a
 * placement that fails those checks is refused, naming why, and retried after 30 s; one that
 * cannot be reached, after 1 s. Pools unused for `idleMs` are closed. The shared pool is given,
 * always open, and not closed here.
 */
export class PlacementPools {
  private readonly dedicated = new Map<string, Dedicated>();
  private readonly reaper: NodeJS.Timeout;

  constructor(
    /** The shared placement's serving ORM. */
    readonly shared: Orm,
    private readonly options: PlacementPoolOptions,
  ) {
    this.reaper = setInterval(() => void this.closeIdle(), Math.max(1_000, Math.floor(options.idleMs / 2)));
    this.reaper.unref();
  }

  /** Every placement this instance knows: `shared` first, then the dedicated ones by name. */
  names(): string[] {
    return [SHARED_PLACEMENT, ...Object.keys(this.options.urls()).sort()];
  }

  /**
   * The placement's serving ORM for one unit of work, and `release` to call when it is done (the
   * pool counts work in flight so that it is never closed under it). Throws
   * PlacementUnavailableError for an unknown, unreachable or refused placement, or when the
   * connection cap leaves no room.
   */
  async acquire(name: string): Promise<{ orm: Orm; release: () => void }> {
    if (name === SHARED_PLACEMENT) return { orm: this.shared, release: () => undefined };
    let url = this.options.urls()[name];
    if (!url && this.options.refresh) {
      await this.options.refresh();
      url = this.options.urls()[name];
    }
    if (!url) throw new PlacementUnavailableError(name, 'no such placement is configured on this instance');
    let entry = this.dedicated.get(name);
    if (!entry) this.dedicated.set(name, (entry = { lastUsed: Date.now(), inFlight: 0 }));
    entry.inFlight++;
    entry.lastUsed = Date.now();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      entry.inFlight--;
      entry.lastUsed = Date.now();
    };
    try {
      return { orm: await this.open(name, url, entry), release };
    } catch (err) {
      release();
      throw err;
    }
  }

  private async open(name: string, url: string, entry: Dedicated): Promise<Orm> {
    if (entry.orm) return entry.orm;
    if (entry.retryAt && Date.now() < entry.retryAt && entry.failure) throw new PlacementUnavailableError(name, entry.failure.reason);
    entry.opening ??= this.connect(name, url, entry).finally(() => (entry.opening = undefined));
    return entry.opening;
  }

  private async connect(name: string, url: string, entry: Dedicated): Promise<Orm> {
    const { mode, poolMax, logger, strictRole } = this.options;
    await this.makeRoom(name);
    const fail = (status: 'unavailable' | 'refused', reason: string, waitMs: number): never => {
      entry.failure = { status, reason };
      entry.retryAt = Date.now() + waitMs;
      logger.error({ placement: name, reason }, status === 'refused' ? 'placement refused' : 'placement unavailable');
      throw new PlacementUnavailableError(name, reason);
    };
    let serving: Orm | undefined;
    try {
      const problems = await migratePlacement(url, name, mode, logger);
      if (problems.length > 0) return fail('refused', problems.join(' '), RETRY_REFUSED_MS);
      // Its own context name, so that work on it inside a shared-database transaction (sign-up
      // provisioning a dedicated placement) never joins that transaction, nor the reverse.
      const login = servingConnection(this.options.database, url, { placement: true });
      serving = await connectOrm({ ...login, mode, poolMax, contextName: `placement:${name}`, applicationName: `tenantql placement:${name}`, logger });
      const checked = await servingProblems(serving, name, { strictRole });
      checked.problems.push(...(await sessionPoolingProblems(serving, this.options.database.poolMode)).map((p) => `placement ${name}: ${p}`));
      if (checked.warnings.length > 0) logger.warn({ placement: name, problems: checked.warnings }, 'row-level security is NOT enforced for requests');
      if (checked.problems.length > 0) {
        await serving.close();
        return fail('refused', checked.problems.join(' '), RETRY_REFUSED_MS);
      }
    } catch (err) {
      if (err instanceof PlacementUnavailableError) throw err;
      await serving?.close().catch(() => undefined);
      if (isConnectionFailure(err)) return fail('unavailable', describe(err), RETRY_UNAVAILABLE_MS);
      throw err;
    }
    entry.orm = serving;
    entry.failure = undefined;
    entry.retryAt = undefined;
    logger.info({ placement: name }, 'placement pool opened');
    return serving;
  }

  /** Closes the least recently used idle dedicated pool when one more would pass the connection cap. */
  private async makeRoom(name: string): Promise<void> {
    const { poolMax, totalPoolMax } = this.options;
    // Pools still opening count as open: placements asked for at the same moment must not each
    // find room for themselves (found by test/placement-pools.test.ts: start-up opened them all).
    const open = [...this.dedicated.entries()].filter(([other, e]) => other !== name && (e.orm || e.opening));
    // The shared pool counts too: (open dedicated + the new one + shared) pools of poolMax each.
    if ((open.length + 2) * poolMax <= totalPoolMax) return;
    const idle = open.filter(([, e]) => e.orm && !e.opening && e.inFlight === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed)[0];
    if (!idle) throw new PlacementUnavailableError(name, `every pool is busy and DB_POOL_TOTAL_MAX (${totalPoolMax}) leaves no room for another`);
    await this.closePool(idle[0], idle[1]);
  }

  private async closePool(name: string, entry: Dedicated): Promise<void> {
    const orm = entry.orm;
    if (!orm) return;
    entry.orm = undefined;
    await orm.close().catch((err) => this.options.logger.error({ err, placement: name }, 'closing a placement pool failed'));
    this.options.logger.info({ placement: name }, 'placement pool closed');
  }

  private async closeIdle(): Promise<void> {
    const before = Date.now() - this.options.idleMs;
    for (const [name, entry] of this.dedicated) {
      if (entry.orm && entry.inFlight === 0 && entry.lastUsed < before) await this.closePool(name, entry);
    }
  }

  /** Each placement's status (see PlacementStatus); a placement without an open pool is probed with one short connection. */
  async status(): Promise<PlacementStatus[]> {
    const urls = this.options.urls();
    return Promise.all(
      this.names().map(async (name): Promise<PlacementStatus> => {
        const entry = this.dedicated.get(name);
        if (entry?.failure?.status === 'refused') return { name, status: 'refused', reason: entry.failure.reason };
        const orm = name === SHARED_PLACEMENT ? this.shared : entry?.orm;
        if (orm) return (await orm.isConnected().catch(() => false)) ? { name, status: 'ready' } : { name, status: 'unavailable', reason: 'the database does not answer' };
        return probe(name, urls[name]!);
      }),
    );
  }

  /**
   * Opens (migrates and checks) every dedicated placement once, as many at a time as
   * DB_POOL_TOTAL_MAX leaves room for, so that a wrong placement is named at start; failures are
   * logged and retried on use. Pools past the cap are closed again as later ones open (least
   * recently used first).
   */
  async openAll(): Promise<void> {
    const pending = this.names().filter((name) => name !== SHARED_PLACEMENT);
    const room = Math.max(1, Math.floor(this.options.totalPoolMax / this.options.poolMax) - 1);
    const worker = async () => {
      for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
        await this.acquire(name).then(({ release }) => release(), () => undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.min(room, pending.length) }, worker));
  }

  /** Closes every dedicated pool (the shared one belongs to the caller). */
  async close(): Promise<void> {
    clearInterval(this.reaper);
    await Promise.all([...this.dedicated.entries()].map(([name, entry]) => (entry.opening?.catch(() => undefined) ?? Promise.resolve()).then(() => this.closePool(name, entry))));
  }
}

async function probe(name: string, url: string): Promise<PlacementStatus> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('select 1');
    return { name, status: 'idle' };
  } catch (err) {
    return { name, status: 'unavailable', reason: describe(err) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A failure in words for logs and operators: the driver's code and message, never a URL (it may hold a password). */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return [e.code, e.message?.replace(/postgres(ql)?:\/\/\S+/g, '<url>')].filter(Boolean).join(': ') || 'unknown error';
}
