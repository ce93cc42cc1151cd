import type pg from 'pg';
import { TenantIsolationError } from './errors.js';

type QueryCallback = (err: Error | null, result?: unknown) => void;
type Submittable = { submit: unknown; once?: (event: string, listener: () => void) => unknown };
type QueryMethod = (...args: unknown[]) => unknown;

/**
 * The one queue of a request's connection: every statement of the request, the fixed reads
 * (TenantSql) and the ORM's (knex calls `connection.query` with a callback) alike, starts only
 * when the one before it has finished. A PostgreSQL connection runs one statement at a time;
 * without this queue GraphQL's concurrent sibling resolvers made `pg` 8 queue the second one
 * itself, with a deprecation warning (pg 9 refuses it).
 *
 * `install` puts a queued `query` on the connection object itself for as long as the request
 * holds it; `detach` (before the connection goes back to the pool) removes it, and from then on
 * nothing still queued here is sent: the connection may already serve another organization.
 */
export class ConnectionQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private detached = false;
  private readonly own: PropertyDescriptor | undefined;

  private constructor(private readonly connection: pg.ClientBase) {
    this.own = Object.getOwnPropertyDescriptor(connection, 'query');
  }

  /** Routes every `connection.query` call through a new queue until `detach`. */
  static install(connection: pg.ClientBase): ConnectionQueue {
    const queue = new ConnectionQueue(connection);
    Object.defineProperty(connection, 'query', { value: queue.query, configurable: true, writable: true });
    return queue;
  }

  /**
   * Sends `config` when every statement queued before it has settled. `check` runs at that turn,
   * just before sending, and may throw to refuse the statement (a request that ended meanwhile).
   */
  statement<R extends pg.QueryResultRow>(config: pg.QueryConfig, check?: () => void): Promise<pg.QueryResult<R>> {
    return this.run(() => {
      check?.();
      return this.send([config]) as Promise<pg.QueryResult<R>>;
    });
  }

  /**
   * Runs `send` when every statement queued before it has settled (fulfilled or not); `send`
   * must return a promise that settles when its statement has. Rejects with TenantIsolationError,
   * without calling `send`, once the queue is detached.
   */
  private run<T>(send: () => Promise<T>): Promise<T> {
    const turn = () => (this.detached ? Promise.reject(new TenantIsolationError('a statement after the request released its connection')) : send());
    const result = this.tail.then(turn, turn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Restores the connection's own `query`; what is still queued is refused (see `run`). */
  detach(): void {
    this.detached = true;
    if (this.own) Object.defineProperty(this.connection, 'query', this.own);
    else delete (this.connection as unknown as Record<string, unknown>).query;
  }

  /** pg's method, looked up at each call (a test's spy on the prototype still sees the statement). */
  private send(args: unknown[]): unknown {
    const method = (this.own?.value ?? Object.getPrototypeOf(this.connection).query) as QueryMethod;
    return method.apply(this.connection, args);
  }

  /** `client.query` in its three forms: promise, node callback (knex), submittable (streams). */
  private readonly query = (...args: unknown[]): unknown => {
    const first = args[0] as Submittable | undefined;
    if (first && typeof first.submit === 'function') {
      // A submittable (a cursor, a stream) reports its end by events; the caller holds it already.
      void this.run(
        () =>
          new Promise<void>((resolve) => {
            first.once?.('end', resolve);
            first.once?.('error', resolve);
            this.send(args);
          }),
      ).catch(() => undefined);
      return first;
    }
    const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as QueryCallback) : undefined;
    const result = this.run(() => this.send(args) as Promise<unknown>);
    if (!callback) return result;
    // Called outside the promise chain, as pg calls it: an error thrown by the callback is not
    // turned into an unhandled rejection here.
    result.then(
      (r) => process.nextTick(callback, null, r),
      (e: Error) => process.nextTick(callback, e),
    );
    return undefined;
  };
}
