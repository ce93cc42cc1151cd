import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { withSql } from './database.js';

// The isolation sweep's machinery: which arguments of the schema can name another
// organization's row, a valid call for each, and what "B is unchanged" and "nothing of B"
// mean. Everything is derived from the schema, so a new field is swept without an edit here.

/** String arguments that carry a keyset cursor (which names a row: its createdAt and id). */
const CURSOR_ARGS = new Set(['after', 'before']);

/** How deep the sweep's selections go into object types below the root field's type. */
const MAX_SELECTION_LEVEL = 3;

export interface Slot {
  operation: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
  /** The argument name, then input-object field names, down to the ID (or cursor) leaf. */
  path: string[];
  kind: 'id' | 'cursor';
  /** e.g. `Mutation.login(input.organizationId)`. */
  label: string;
}

/** One input position of a root field: an argument, or an input-object field inside one at any depth. */
export interface InputPosition {
  operation: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
  /** The argument name, then input-object field names. */
  path: string[];
  /** The declared type at this position, wrappers (non-null, list) included. */
  type: GraphQLInputType;
  /** e.g. `Mutation.login(input.organizationId)`. */
  label: string;
}

/**
 * Every argument of every Query and Mutation field, and every field of the input objects they
 * take, at any depth (an input type met again on its own path is not entered twice).
 */
export function inputPositions(schema: GraphQLSchema): InputPosition[] {
  const out: InputPosition[] = [];
  for (const [operation, root] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()]] as const) {
    if (!root) continue;
    for (const field of Object.values(root.getFields())) {
      const walk = (type: GraphQLInputType, path: string[], seen: Set<string>) => {
        out.push({ operation, field, path, type, label: `${root.name}.${field.name}(${path.join('.')})` });
        const named = getNamedType(type);
        if (!isInputObjectType(named) || seen.has(named.name)) return;
        const inner = new Set(seen).add(named.name);
        for (const f of Object.values(named.getFields())) walk(f.type, [...path, f.name], inner);
      };
      for (const arg of field.args) walk(arg.type, [arg.name], new Set());
    }
  }
  return out;
}

/**
 * Every argument position of a Query or Mutation field that takes an ID (directly, in a list,
 * or inside input objects at any depth) or a cursor. Cursor slots come first: the id slots
 * write refusals naming B's ids into A's own audit trail, which a list of A's activity would
 * then (rightly) echo back.
 */
export function findSlots(schema: GraphQLSchema): Slot[] {
  const slots: Slot[] = [];
  for (const { operation, field, path, type, label } of inputPositions(schema)) {
    const named = getNamedType(type);
    if (isScalarType(named) && named.name === 'ID') slots.push({ operation, field, path, kind: 'id', label });
    else if (isScalarType(named) && named.name === 'String' && CURSOR_ARGS.has(path[path.length - 1]!)) slots.push({ operation, field, path, kind: 'cursor', label });
  }
  return [...slots.filter((s) => s.kind === 'cursor'), ...slots.filter((s) => s.kind === 'id')];
}

/** Values a caller legitimately knows, by argument name (e.g. its own email and password for login, an id of its own). */
export type KnownValues = Record<string, string>;

interface Target {
  rest: string[];
  value: unknown;
  /** Put `value` at the position itself, even when its type is a list (else it becomes the list's one item). */
  exact?: boolean;
}

/** A valid value of `type`; the slot under test gets `target.value`, every other ID a known value or a random UUID. */
export function valueFor(type: GraphQLInputType, name: string, target: Target | null, known: KnownValues): unknown {
  if (target?.exact && target.rest.length === 0) return target.value;
  if (isNonNullType(type)) return valueFor(type.ofType, name, target, known);
  if (isListType(type)) return [valueFor(type.ofType, name, target, known)];
  if (target && target.rest.length === 0) return target.value;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) {
      if (target && target.rest[0] === f.name) {
        out[f.name] = valueFor(f.type, f.name, { ...target, rest: target.rest.slice(1) }, known);
        continue;
      }
      const required = isNonNullType(f.type) && f.defaultValue === undefined;
      const named = getNamedType(f.type);
      // Other ids and nested inputs only when required; optional plain fields are filled, so a
      // write that wrongly reached B's row would really change it.
      if (!required && (isInputObjectType(named) || (isScalarType(named) && named.name === 'ID'))) continue;
      out[f.name] = valueFor(f.type, f.name, null, known);
    }
    return out;
  }
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
        return known[name] ?? randomUUID();
      case 'Int':
      case 'Float':
        return 1;
      case 'Boolean':
        return false;
      case 'DateTime':
        return new Date().toISOString();
      default:
        return known[name] ?? 'sweep text';
    }
  }
  throw new Error(`the sweep cannot make a value of ${String(type)}`);
}

/** Every scalar field of `type`, and of its object fields down to MAX_SELECTION_LEVEL. */
export function selectionFor(type: GraphQLOutputType, level = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isInterfaceType(named) || isUnionType(named) || !isObjectType(named)) return '{ __typename }';
  const parts: string[] = [];
  for (const f of Object.values(named.getFields())) {
    if (f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const inner = getNamedType(f.type);
    if (isLeafType(inner)) parts.push(f.name);
    else if (level < MAX_SELECTION_LEVEL) parts.push(`${f.name} ${selectionFor(f.type, level + 1)}`);
  }
  return `{ ${parts.length ? parts.join(' ') : '__typename'} }`;
}

export interface Call {
  query: string;
  variables: Record<string, unknown>;
}

/**
 * The operation for one slot: `value` in the slot, generated values for the other required
 * arguments, optional top-level arguments left to their defaults, every scalar selected.
 * `value: undefined` leaves the slot's argument out (to fetch a first page, say). `exact`: see Target.
 */
export function buildCall(slot: Pick<Slot, 'operation' | 'field' | 'path'>, value: unknown, known: KnownValues, { exact = false } = {}): Call {
  const defs: string[] = [];
  const args: string[] = [];
  const variables: Record<string, unknown> = {};
  for (const arg of slot.field.args) {
    const onPath = slot.path[0] === arg.name && value !== undefined;
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
    if (!onPath && !required) continue;
    defs.push(`$${arg.name}: ${String(arg.type)}`);
    args.push(`${arg.name}: $${arg.name}`);
    variables[arg.name] = valueFor(arg.type, arg.name, onPath ? { rest: slot.path.slice(1), value, exact } : null, known);
  }
  const head = defs.length ? `(${defs.join(', ')})` : '';
  const call = args.length ? `(${args.join(', ')})` : '';
  return { query: `${slot.operation} Sweep${head} { result: ${slot.field.name}${call} ${selectionFor(slot.field.type)} }`, variables };
}

export interface Answer {
  status: number;
  raw: string;
  body: { data?: unknown; errors?: { message: string; path?: unknown; extensions?: Record<string, unknown> }[] };
}

export async function send(graphqlUrl: string, call: Call, token: string): Promise<Answer> {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(call),
  });
  const raw = await res.text();
  return { status: res.status, raw, body: JSON.parse(raw) as Answer['body'] };
}

export const codesOf = (a: Answer) => (a.body.errors ?? []).map((e) => e.extensions?.code);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The raw response with the value the caller itself sent blanked out (echoing input is no leak). */
export const withoutSent = (raw: string, sent: string) => raw.replace(new RegExp(escapeRegExp(sent), 'gi'), '<SENT>');

/** What must not tell B's id from a random one: status, data, and each error's message, code and path. */
export function comparable(answer: Answer, sent: string) {
  const body = JSON.parse(withoutSent(answer.raw, sent)) as Answer['body'];
  return {
    status: answer.status,
    data: body.data,
    errors: body.errors?.map(({ message, path, extensions }) => ({ message, path, code: extensions?.code })),
  };
}

/**
 * A cursor at the same position with every id in it replaced by a random UUID: the same page
 * boundary, naming no row. Cursors are base64url JSON arrays (MikroORM keyset cursors).
 */
export function randomizedCursor(cursor: string): string {
  const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Array.isArray(decoded)) throw new Error(`cursor ${cursor} is not a keyset cursor: teach the sweep its format`);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const out = decoded.map((v) => (typeof v === 'string' && uuid.test(v) ? randomUUID() : v));
  if (JSON.stringify(out) === JSON.stringify(decoded)) throw new Error(`cursor ${cursor} names no id: teach the sweep its format`);
  return Buffer.from(JSON.stringify(out)).toString('base64url');
}

/** Every `cursor` / `endCursor` string in a response's data, in order. */
export function cursorsIn(data: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if ((k === 'cursor' || k === 'endCursor') && typeof inner === 'string') out.push(inner);
        else walk(inner);
      }
    }
  };
  walk(data);
  return [...new Set(out)];
}

const STATE_QUERIES = {
  organization: `select to_jsonb(t) || jsonb_build_object('xmin', t.xmin::text) as row from "organization" t where id = $1`,
  user: `select to_jsonb(t) || jsonb_build_object('xmin', t.xmin::text) as row from "user" t
           where id in (select user_id from membership where organization_id = $1)`,
  membership: `select to_jsonb(t) || jsonb_build_object('xmin', t.xmin::text) as row from "membership" t where organization_id = $1`,
  document: `select to_jsonb(t) || jsonb_build_object('xmin', t.xmin::text) as row from "document" t where organization_id = $1`,
  activity_event: `select to_jsonb(t) || jsonb_build_object('xmin', t.xmin::text) as row from "activity_event" t where organization_id = $1`,
  comment: `select to_jsonb(t) || jsonb_build_object('xmin', t.xmin::text) as row from "comment" t where organization_id = $1`,
  invitation: `select to_jsonb(t) || jsonb_build_object('xmin', t.xmin::text) as row from "invitation" t where organization_id = $1`,
  file: `select to_jsonb(t) || jsonb_build_object('xmin', t.xmin::text) as row from "file" t where organization_id = $1`,
} as const;

/** Everything one organization has, as stored: its row, its members' users and its tenant rows, with xmin. */
export type OrgState = Record<keyof typeof STATE_QUERIES, unknown[]>;

/**
 * Read with the plain driver as the table owner: no ORM, no filter, no row-level security. With
 * several databases (the shared one and the placements), the rows of all of them together: the
 * directory and the accounts in the shared one, the tenant rows and user copies in a placement.
 */
export async function orgState(databaseUrls: string | string[], organizationId: string): Promise<OrgState> {
  const out = {} as OrgState;
  for (const url of [databaseUrls].flat()) {
    await withSql(url, async (c) => {
      for (const table of Object.keys(STATE_QUERIES) as (keyof OrgState)[]) {
        const rows = (await c.query<{ row: unknown }>(STATE_QUERIES[table], [organizationId])).rows.map((r) => r.row);
        out[table] = [...(out[table] ?? []), ...rows].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
      }
    });
  }
  return out;
}

function stringsIn(v: unknown, out: Set<string>): Set<string> {
  if (typeof v === 'string') out.add(v.toLowerCase());
  else if (Array.isArray(v)) v.forEach((x) => stringsIn(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => stringsIn(x, out));
  return out;
}

/**
 * What would identify `mine` in a response: every stored string of its rows (ids, titles,
 * bodies, emails, names, slugs, ...) that is long enough to be specific, is not a timestamp,
 * and does not occur in `theirs` too (shared values such as action names or one password hash).
 */
export function markersOf(mine: OrgState, theirs: OrgState): string[] {
  const other = stringsIn(theirs, new Set());
  return [...stringsIn(mine, new Set())].filter((s) => s.length >= 8 && !other.has(s) && !/^\d{4}-\d\d-\d\dT/.test(s) && !/^\d+$/.test(s));
}
