import { loadModule, parseSync, type InsertStmt, type Node, type RangeVar, type SelectStmt, type WithClause } from 'libpg-query';

// PostgreSQL's own parser (libpg_query, compiled to WebAssembly), loaded once at import: the
// statements are checked as PostgreSQL will read them, so comments, string literals, parentheses
// and operator precedence cannot make text look filtered when it is not.
await loadModule();

/** The column that names a tenant-owned row's organization (every tenant table has it; see the migrations). */
export const ORGANIZATION_COLUMN = 'organization_id';

/**
 * Functions a fixed statement may call. A function call is opaque to this check: a SQL or
 * PL/pgSQL function can read any table (with no WHERE clause here to inspect) or re-point the
 * transaction (`set_config('app.organization_id', …)`), so only built-ins that do neither are
 * accepted. Add one here only after reading what it does.
 */
const SAFE_FUNCTIONS = new Set(['unnest', 'lower', 'upper', 'length', 'char_length', 'count', 'min', 'max', 'sum', 'avg', 'array_agg', 'now', 'pg_sleep']);

/**
 * Why `text` is not a safe fixed tenant statement; empty when it is. `tenantTables` are the
 * tenant-owned tables' names (lower case, as PostgreSQL folds unquoted names). The rules:
 *
 * - exactly one statement, a SELECT or an INSERT; no other statement anywhere inside it, except
 *   INSERTs as CTEs of that statement's own WITH (a data-modifying WITH, so that a write and its
 *   audit event, or a read and its audit event, are one statement), each judged by the INSERT
 *   rules below; no `SELECT INTO`;
 * - every SELECT anywhere in the tree (subqueries, LATERAL, CTEs, each arm of a UNION) filters
 *   every tenant table in its own FROM/JOINs with a top-level AND-conjunct of its WHERE
 *   `<alias or name>.organization_id = $1` (either side; `$1::uuid` allowed; unqualified only when
 *   the table is that SELECT's single FROM item). Only such a conjunct holds for every row the
 *   SELECT yields, whatever its joins or other conditions; a filter in an ON clause or a subquery,
 *   or under OR / NOT / IS, does not;
 * - an INSERT goes into a tenant table, lists organization_id, puts `$1` in that position of every
 *   VALUES row, and has no `INSERT … SELECT` or ON CONFLICT (a conflict with another organization's
 *   row is an existence oracle); a WITH only on the top-level INSERT, holding INSERTs (above) and
 *   SELECTs (judged as every SELECT);
 * - a tenant table appears nowhere else (with column aliases, in TABLESAMPLE, …), at least one
 *   appears (otherwise the statement does not belong in TenantSql), and every function called is
 *   in SAFE_FUNCTIONS.
 *
 * What it cannot see: views or tables that are not tenant-owned entities, what an allowed
 * operator or a type's input function runs, and the meaning of parameters other than `$1`. Row-level
 * security still applies to every statement (src/tenancy/tenant-session.ts).
 */
export function tenantStatementProblems(text: string, tenantTables: ReadonlySet<string>): string[] {
  let stmts: { stmt?: Node }[];
  try {
    stmts = parseSync(text).stmts ?? [];
  } catch (e) {
    return [`does not parse: ${(e as Error).message}`];
  }
  if (stmts.length !== 1) return [`holds ${stmts.length} statements; exactly one is allowed`];
  const walk = new StatementWalk(tenantTables);
  const root = stmts[0]!.stmt;
  if (root && 'InsertStmt' in root) walk.root(root.InsertStmt);
  else if (root && 'SelectStmt' in root) {
    walk.allowInsertCtes(root.SelectStmt.withClause);
    walk.visit(root);
  }
  else walk.problems.push(`is a ${Object.keys(root ?? {})[0] ?? 'nothing'}: only SELECT and INSERT are allowed`);
  if (walk.problems.length === 0 && walk.tenantReferences === 0) walk.problems.push('reads no tenant-owned table: it does not belong in TenantSql');
  return walk.problems;
}

type Json = Record<string, unknown>;

class StatementWalk {
  readonly problems: string[] = [];
  tenantReferences = 0;
  /** Tenant RangeVars already judged by the rule of the SELECT or INSERT they belong to. */
  private readonly judged = new Set<RangeVar>();
  /** INSERTs that are CTEs of the top-level statement's WITH: the only INSERTs allowed below the top. */
  private readonly cteInserts = new Set<InsertStmt>();

  constructor(private readonly tenantTables: ReadonlySet<string>) {}

  /** The top-level INSERT: its own rules, then everything inside it. */
  root(insert: InsertStmt): void {
    this.allowInsertCtes(insert.withClause);
    this.insert(insert, true);
    this.children(insert as Json);
  }

  /**
   * Marks the INSERTs among the top-level statement's CTEs (PostgreSQL allows a data-modifying
   * WITH only there), so that `node` judges them by the INSERT rules instead of refusing them.
   */
  allowInsertCtes(withClause: WithClause | undefined): void {
    for (const cte of withClause?.ctes ?? []) {
      const query = 'CommonTableExpr' in cte ? cte.CommonTableExpr.ctequery : undefined;
      if (query && 'InsertStmt' in query) this.cteInserts.add(query.InsertStmt);
    }
  }

  /** Any part of the parse tree: wrapped nodes (`{ SelectStmt: … }`), lists, plain fields. */
  visit(value: unknown): void {
    if (Array.isArray(value)) return value.forEach((v) => this.visit(v));
    if (!value || typeof value !== 'object') return;
    const keys = Object.keys(value);
    if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) return this.node(keys[0]!, (value as Json)[keys[0]!] as Json);
    // RangeVar is also embedded unwrapped (InsertStmt.relation, IntoClause.rel, …).
    if (typeof (value as RangeVar).relname === 'string') return this.rangeVar(value as RangeVar);
    this.children(value as Json);
  }

  private children(node: Json): void {
    for (const child of Object.values(node)) this.visit(child);
  }

  private node(kind: string, body: Json): void {
    if (kind === 'SelectStmt') return this.select(body as SelectStmt);
    if (kind === 'RangeVar') return this.rangeVar(body as RangeVar);
    if (kind === 'InsertStmt' && this.cteInserts.has(body as InsertStmt)) {
      this.insert(body as InsertStmt, false);
      return this.children(body);
    }
    if (kind.endsWith('Stmt')) this.problems.push(`contains a ${kind}: only SELECT (and a top-level INSERT) is allowed`);
    if (kind === 'FuncCall') this.funcCall(body);
    this.children(body);
  }

  private select(select: SelectStmt): void {
    if (select.intoClause) this.problems.push('is a SELECT INTO, which creates a table');
    const items = fromItems(select.fromClause ?? []);
    const filtered = organizationFilters(select.whereClause);
    for (const rv of items.filter((i): i is RangeVar => typeof i.relname === 'string')) {
      if (!this.isTenant(rv)) continue;
      this.judged.add(rv);
      const ref = rv.alias?.aliasname ?? rv.relname!;
      if (rv.alias?.colnames?.length) {
        this.problems.push(`renames the columns of ${rv.relname} (as ${ref}): ${ORGANIZATION_COLUMN} could then name another column`);
      } else if (!filtered.qualified.has(ref) && !(filtered.unqualified && items.length === 1)) {
        this.problems.push(`reads ${rv.relname}${ref === rv.relname ? '' : ` (as ${ref})`} in a SELECT whose WHERE has no top-level conjunct ${ref}.${ORGANIZATION_COLUMN} = $1`);
      }
    }
    // UNION / INTERSECT / EXCEPT arms are SelectStmts embedded without their wrapper.
    const { larg, rarg, ...rest } = select;
    for (const arm of [larg, rarg]) if (arm) this.select(arm);
    this.children(rest as Json);
  }

  /** `top`: the statement itself, whose WITH may hold INSERTs; a CTE's INSERT may have no WITH. */
  private insert(insert: InsertStmt, top: boolean): void {
    const table = insert.relation;
    if (!table || !this.isTenant(table)) this.problems.push(`inserts into ${table?.relname ?? 'nothing'}, which is not tenant-owned`);
    else this.judged.add(table);
    if (insert.withClause && !top) this.problems.push('is an INSERT in a WITH with a WITH clause of its own');
    if (insert.onConflictClause) this.problems.push('is an INSERT … ON CONFLICT: a conflict with another organization\'s row answers differently');
    const columns = (insert.cols ?? []).map((c) => ('ResTarget' in c ? c.ResTarget.name : undefined));
    const position = columns.indexOf(ORGANIZATION_COLUMN);
    if (position < 0) return void this.problems.push(`is an INSERT that does not list ${ORGANIZATION_COLUMN}`);
    const source = insert.selectStmt && 'SelectStmt' in insert.selectStmt ? insert.selectStmt.SelectStmt : undefined;
    const rows = source?.valuesLists;
    if (!source || !rows?.length || source.fromClause || source.withClause || source.larg) {
      return void this.problems.push('is an INSERT … SELECT (or DEFAULT VALUES): only VALUES rows are allowed');
    }
    rows.forEach((row, i) => {
      const item = 'List' in row ? row.List.items?.[position] : undefined;
      if (!isOrganizationParam(item)) this.problems.push(`VALUES row ${i + 1} does not put $1 in ${ORGANIZATION_COLUMN}`);
    });
  }

  private rangeVar(rv: RangeVar): void {
    if (!this.isTenant(rv)) return;
    this.tenantReferences++;
    if (!this.judged.has(rv)) this.problems.push(`uses ${rv.relname} outside a FROM list or INSERT target, where its rows cannot be checked`);
  }

  private funcCall(call: Json): void {
    const name = ((call.funcname as Node[] | undefined) ?? []).map((n) => ('String' in n ? n.String.sval : '?'));
    const [schema, fn] = name.length === 2 ? name : [undefined, name[0]];
    if (name.length > 2 || (schema !== undefined && schema !== 'pg_catalog') || !SAFE_FUNCTIONS.has(fn ?? '')) {
      this.problems.push(`calls ${name.join('.')}(), which is not known to read no table and change no setting`);
    }
  }

  private isTenant(rv: RangeVar): boolean {
    return rv.relname !== undefined && this.tenantTables.has(rv.relname);
  }
}

/** The leaves of a FROM list: tables, subqueries, functions; joins opened up. */
function fromItems(from: Node[]): (RangeVar | Json)[] {
  return from.flatMap((item): (RangeVar | Json)[] => {
    if ('JoinExpr' in item) return fromItems([item.JoinExpr.larg, item.JoinExpr.rarg].filter((n): n is Node => n !== undefined));
    if ('RangeVar' in item) return [item.RangeVar];
    return [item as Json];
  });
}

/** Which FROM names a WHERE clause pins to `$1` with a top-level `<name>.organization_id = $1`. */
function organizationFilters(where: Node | undefined): { qualified: Set<string>; unqualified: boolean } {
  const result = { qualified: new Set<string>(), unqualified: false };
  for (const conjunct of conjuncts(where)) {
    if (!('A_Expr' in conjunct)) continue;
    const e = conjunct.A_Expr;
    const op = (e.name ?? []).map((n) => ('String' in n ? n.String.sval : '?'));
    if (e.kind !== 'AEXPR_OP' || op.length !== 1 || op[0] !== '=') continue;
    for (const [column, value] of [[e.lexpr, e.rexpr], [e.rexpr, e.lexpr]] as const) {
      if (!column || !('ColumnRef' in column) || !isOrganizationParam(value)) continue;
      const fields = (column.ColumnRef.fields ?? []).map((f) => ('String' in f ? f.String.sval : undefined));
      if (fields.length === 1 && fields[0] === ORGANIZATION_COLUMN) result.unqualified = true;
      if (fields.length === 2 && fields[1] === ORGANIZATION_COLUMN && fields[0]) result.qualified.add(fields[0]);
    }
  }
  return result;
}

/** The top-level AND-conjuncts of a condition (nested ANDs flattened; anything else is one conjunct). */
function conjuncts(condition: Node | undefined): Node[] {
  if (!condition) return [];
  if ('BoolExpr' in condition && condition.BoolExpr.boolop === 'AND_EXPR') return (condition.BoolExpr.args ?? []).flatMap(conjuncts);
  return [condition];
}

/** `$1`, or `$1::uuid` (also `pg_catalog.uuid`), and nothing else. */
function isOrganizationParam(node: Node | undefined): boolean {
  if (!node) return false;
  if ('ParamRef' in node) return node.ParamRef.number === 1;
  if (!('TypeCast' in node)) return false;
  const { arg, typeName } = node.TypeCast;
  const names = (typeName?.names ?? []).map((n) => ('String' in n ? n.String.sval : '?'));
  const isUuid = names.at(-1) === 'uuid' && (names.length === 1 || (names.length === 2 && names[0] === 'pg_catalog'));
  return isUuid && !typeName?.arrayBounds?.length && arg !== undefined && 'ParamRef' in arg && arg.ParamRef.number === 1;
}
