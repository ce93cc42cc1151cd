import pg from 'pg';
import type { ConnectionQueue } from './connection-queue.js';
import { TenantIsolationError } from './errors.js';
import { entities } from '../db/entities/index.js';
import { assertOrganizationId } from './organization-id.js';
import { tenantStatementProblems } from './tenant-statement-check.js';

/**
 * A fixed SQL statement over tenant-owned tables, for the hot read paths where the ORM's
 * per-query work (query building, hydration, identity map) costs several times the query
 * itself. Parameter `$1` is always the request's organization, bound by TenantSql and never
 * by the caller, and the text must filter by it. Row-level security applies as for every
 * request query: this path skips the ORM filter, not the database wall.
 */
export interface TenantStatement {
  /** Prepared once per connection under this name. */
  name: string;
  text: string;
}

/**
 * The tenant-owned tables: those of every entity with an `organizationId`, read from the entity
 * definitions (not a hand list), so a new tenant entity is checked here from its first statement,
 * even before it is added to the tenant filter (which the start-up check then demands).
 */
export const TENANT_TABLES: ReadonlySet<string> = new Set(
  entities.filter((e) => Object.hasOwn(e.meta.properties, 'organizationId')).map((e) => e.meta.tableName),
);

/**
 * Declares a fixed tenant statement. Throws TenantIsolationError, listing every problem, unless
 * PostgreSQL's parser reads `text` as one SELECT that filters each tenant table it reads by
 * `organization_id = $1`, or one INSERT that puts `$1` in organization_id, either of them with
 * INSERTs of that kind in its WITH (a write and its audit event in one statement; the full rules:
 * tenantStatementProblems in tenant-statement-check.ts). Called at import for fixed statements and
 * on first use for each variant, so a statement that fails is never sent.
 */
export function tenantStatement(name: string, text: string): TenantStatement {
  const problems = tenantStatementProblems(text, TENANT_TABLES);
  if (problems.length > 0) throw new TenantIsolationError(`statement ${name} is not a safe tenant statement: it ${problems.join('; it ')}`);
  return { name, text };
}

// Variants of a statement (a query shape, a LIMIT in the text), each built and checked once.
const variants = new Map<string, TenantStatement>();

/** The statement called `name`, built by `text()` the first time it is asked for. */
export function tenantStatementVariant(name: string, text: () => string): TenantStatement {
  let statement = variants.get(name);
  if (!statement) variants.set(name, (statement = tenantStatement(name, text())));
  return statement;
}

/**
 * A row limit written into a statement's text rather than bound: a generic plan cannot know a
 * bound LIMIT, guesses a tenth of the organization's rows, and may sort all of them instead of
 * walking an index for a page (240 ms instead of 3 ms at 100k rows per organization). Only a
 * small positive integer gets into the text.
 */
export function textLimit(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 1_000) throw new RangeError(`row limit ${n}`);
  return n;
}

/**
 * Runs tenant statements on the request's transaction connection, through the connection's one
 * queue (connection-queue.ts), which the ORM's statements of the same request share: GraphQL
 * resolves sibling fields concurrently, and a connection runs one statement at a time.
 */
export class TenantSql {
  private closed = false;
  readonly organizationId: string;

  constructor(
    private readonly queue: ConnectionQueue,
    organizationId: string,
  ) {
    this.organizationId = assertOrganizationId(organizationId);
  }

  /** After the request's transaction ended: the connection may already serve someone else. */
  close(): void {
    this.closed = true;
  }

  rows<R extends pg.QueryResultRow>(statement: TenantStatement, params: unknown[] = []): Promise<R[]> {
    // pg's own type parsers (timestamps as Date): the ORM sets its connections to return strings.
    const config = { name: statement.name, text: statement.text, values: [this.organizationId, ...params], types: pg.types };
    return this.queue.statement<R>(config, this.stillOpen(statement.name)).then((r) => r.rows);
  }

  /**
   * Takes an EXCLUSIVE transaction-level advisory lock on `space` for this organization, waiting
   * for any transaction that holds it: work that reads then writes a per-organization total (the
   * file quota) runs one transaction at a time per organization. The key is a 64-bit hash of
   * `<space>:<organization id>` (as the move's `tenantql.organization:<id>`, which `space` must
   * differ from, so this never waits for a move's pause or makes it wait); released at commit or
   * rollback (PostgreSQL, "Advisory Locks").
   */
  async lockOrganization(space: string): Promise<void> {
    if (!/^[a-z][a-z.-]*$/.test(space) || space === 'tenantql.organization') throw new Error(`not a lock space of its own: ${space}`);
    const config = { text: `select pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text, 0))`, values: [space, this.organizationId] };
    await this.queue.statement(config, this.stillOpen(`lock ${space}`));
  }

  /**
   * Checked when the statement's turn comes, not only when it is queued: one queued behind a
   * slow statement must not run once the transaction has ended meanwhile.
   */
  private stillOpen(what: string): () => void {
    return () => {
      if (this.closed) throw new TenantIsolationError(`statement ${what} after the request's transaction ended`);
    };
  }
}
