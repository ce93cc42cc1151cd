import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  astFromValue,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  print,
} from 'graphql';
import pg from 'pg';
import { buildCall, selectionFor, valueFor, type InputPosition, type KnownValues } from './sweep-helpers.js';

// The input sweep's machinery: families of hostile values for each input position of the
// schema (chosen by the position's type and name, so a new field is swept without an edit
// here), the request bodies that carry them (as variables, or as literals in the document),
// a fingerprint of every table, and the server's log lines.

/** A JSON number JSON.stringify cannot write (1e309 parses to Infinity), or a document too deep for it to write. */
export class RawJson {
  constructor(readonly text: string) {}
}

export interface Hostile {
  name: string;
  value: unknown;
  /** A string sent as a literal in the document: escaped ("\u0000") or raw in a block string. */
  literal?: 'escaped' | 'block';
  /** The one code the refusal must carry (not merely any client code), when the value has one right answer. */
  expectCode?: string;
}

/** `[[[ ... ]]]` `depth` levels deep, written as text (nothing recursive builds or prints it). */
export const deepList = (depth: number) => new RawJson('['.repeat(depth) + ']'.repeat(depth));
const deepObject = (depth: number) => new RawJson('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

const UUID = '6f0e7a52-1c3b-4d7e-9a51-2f3c4d5e6f70';
const ISO = '2026-01-02T03:04:05.678Z';
/** A cursor as the server writes them (base64url of a JSON array), around any decoded value. */
export const cursorOf = (decodedJson: string) => Buffer.from(decodedJson).toString('base64url');

/**
 * Characters no stored text may hold: C0 controls other than tab, LF, CR; DEL; C1 controls
 * (U+0080-U+009F: CSI starts a terminal escape, NEL breaks a line); LINE and PARAGRAPH
 * SEPARATOR; lone surrogates.
 */
export const FORBIDDEN_CHARACTERS: Record<string, string> = {
  NUL: '\u0000',
  'U+0001': '\u0001',
  BS: '\u0008',
  VT: '\u000b',
  'form feed': '\u000c',
  ESC: '\u001b',
  'U+001F': '\u001f',
  DEL: '\u007f',
  'U+0080 (first C1)': '\u0080',
  NEL: '\u0085',
  CSI: '\u009b',
  'U+009F (last C1)': '\u009f',
  'LINE SEPARATOR': '\u2028',
  'PARAGRAPH SEPARATOR': '\u2029',
  'lone high surrogate': '\ud800',
  'lone low surrogate': '\udfff',
  'surrogates reversed': '\udc00\ud83d',
};

/**
 * Hostile strings for any String, ID or custom scalar position; as document literals too for
 * String and ID (a custom scalar's literal form is its own).
 */
function hostileStrings(literals: boolean): Hostile[] {
  const out: Hostile[] = [];
  for (const [name, c] of Object.entries(FORBIDDEN_CHARACTERS)) out.push({ name: `${name} in a string`, value: `edge${c}case@example.test` });
  if (literals) {
    for (const [name, c] of Object.entries({ NUL: '\u0000', ESC: '\u001b', DEL: '\u007f', CSI: '\u009b', 'LINE SEPARATOR': '\u2028' })) {
      out.push({ name: `${name} in an escaped literal`, value: `edge${c}case`, literal: 'escaped' });
      out.push({ name: `${name} raw in a block-string literal`, value: `edge${c}case`, literal: 'block' });
    }
    out.push({ name: 'a lone surrogate in a literal', value: 'edge\ud800case', literal: 'escaped' });
  }
  out.push({ name: 'a 300,000-character string', value: 'x'.repeat(300_000) });
  out.push({ name: 'a number', value: 12.5 }, { name: 'a boolean', value: true });
  return out;
}

/**
 * Well-formed but forged keyset cursors: base64url JSON arrays whose content the server never
 * issued (dates PostgreSQL cannot store, wrong element types, extra or missing elements).
 */
export function forgedCursors(): Hostile[] {
  const forged: Record<string, string> = {
    'year 275760 (JavaScript maximum)': `["+275760-09-13T00:00:00.000Z","${UUID}"]`,
    'year -271821 (JavaScript minimum)': `["-271821-04-20T00:00:00.000Z","${UUID}"]`,
    'year 10000': `["+010000-01-01T00:00:00.000Z","${UUID}"]`,
    'year 0000 month 00': `["0000-00-00T00:00:00.000Z","${UUID}"]`,
    'February 30th': `["2026-02-30T00:00:00.000Z","${UUID}"]`,
    'hour 25': `["2026-01-01T25:00:00.000Z","${UUID}"]`,
    'a time with an offset': `["2026-01-01T00:00:00.000+14:00","${UUID}"]`,
    'a number for the time': `[1767225600000,"${UUID}"]`,
    'a huge number for the time': `[1e400,"${UUID}"]`,
    'a number for the id': `["${ISO}",42]`,
    'an id that is no uuid': `["${ISO}","' or 1=1 --"]`,
    'NUL inside the id': `["${ISO}","\\u0000${UUID.slice(1)}"]`,
    'NUL inside the time': `["${ISO}\\u0000","${UUID}"]`,
    'objects for both': `[{},{}]`,
    nulls: `[null,null]`,
    'an extra element': `["${ISO}","${UUID}","extra"]`,
    'one element': `["${ISO}"]`,
    'an empty array': `[]`,
    'an object': `{"createdAt":"${ISO}","id":"${UUID}"}`,
    'a string': `"${ISO}"`,
    'nested arrays': '['.repeat(60) + ']'.repeat(60),
    'spaces in the JSON': `[ "${ISO}", "${UUID}" ]`,
  };
  const out: Hostile[] = Object.entries(forged).map(([name, json]) => ({ name: `cursor: ${name}`, value: cursorOf(json) }));
  out.push({ name: 'cursor: not base64url', value: '@@not-a-cursor@@' }, { name: 'cursor: padded', value: `${cursorOf(`["${ISO}","${UUID}"]`)}==` });
  return out;
}

/** Hostile numbers for an Int or Float position: outside 32 bits, not integers, not numbers. */
function hostileNumbers(isInt: boolean): Hostile[] {
  const out: Hostile[] = [
    { name: '1e309 (Infinity once parsed)', value: new RawJson('1e309') },
    { name: '-1e309', value: new RawJson('-1e309') },
    { name: 'a numeric string', value: '1' },
    { name: 'a boolean', value: true },
  ];
  if (isInt) out.push({ name: '2^31', value: 2 ** 31 }, { name: '-2^31 - 1', value: -(2 ** 31) - 1 }, { name: '2^53 + 2', value: 2 ** 53 + 2 }, { name: '1.5', value: 1.5 });
  return out;
}

/**
 * Page sizes that are valid Ints but outside 1..100 (src/graphql/pagination.ts): a range error
 * (BAD_USER_INPUT), however large, never QUERY_TOO_COMPLEX because a huge page costs a lot.
 */
function pageSizesOutOfRange(): Hostile[] {
  return [0, -1, 101, 1_000_000, 2 ** 31 - 1].map((value) => ({ name: `first: ${value} (outside 1..100)`, value, expectCode: 'BAD_USER_INPUT' }));
}

/** Dates a JavaScript Date can hold and PostgreSQL cannot, and dates that are no dates at all. */
function hostileDates(): Hostile[] {
  return [
    { name: 'year 275760', value: '+275760-09-13T00:00:00.000Z' },
    { name: 'year -271821', value: '-271821-04-20T00:00:00.000Z' },
    { name: 'year 10000', value: '10000-01-01T00:00:00.000Z' },
    { name: 'February 30th', value: '2026-02-30T00:00:00.000Z' },
    { name: 'a huge epoch number', value: 8.64e15 + 1 },
  ];
}

/**
 * The families of hostile values for one position, by its type: forbidden characters, very
 * long strings, deep nesting, out-of-range numbers and dates, forged cursors (String positions
 * named `after`/`before`), misspelt enum values, wrong types, null where null is not allowed.
 */
export function hostileValues(position: InputPosition): Hostile[] {
  const { type } = position;
  const named = getNamedType(type);
  const name = position.path[position.path.length - 1]!;
  const out: Hostile[] = [
    { name: 'variables nested 5,000 levels deep', value: deepList(5000) },
    { name: 'objects nested 5,000 levels deep', value: deepObject(5000) },
    { name: 'a list nested 20 levels deep', value: deepList(20) },
  ];
  if (isNonNullType(type)) out.push({ name: 'null', value: null });
  if (isListType(isNonNullType(type) ? type.ofType : type)) {
    out.push({ name: 'a list of 100,000 items', value: Array.from({ length: 100_000 }, () => 'x') });
  }
  if (isInputObjectType(named)) {
    out.push({ name: 'a string for an input object', value: 'not an object' }, { name: 'a number for an input object', value: 7 });
    out.push({ name: 'an unknown field', value: { ...(valueFor(named, name, null, {}) as object), unknownField: 1 } });
  } else if (isEnumType(named)) {
    const first = named.getValues()[0]!.name;
    out.push(
      { name: 'an enum value in lower case', value: first.toLowerCase() },
      { name: 'an enum value with a trailing space', value: `${first} ` },
      { name: 'an unknown enum value', value: 'NOT_A_VALUE' },
      { name: 'NUL in an enum value', value: `${first}\u0000` },
      { name: 'a number for an enum', value: 0 },
    );
  } else if (isScalarType(named) && (named.name === 'Int' || named.name === 'Float')) {
    out.push(...hostileNumbers(named.name === 'Int'));
    if (name === 'first') out.push(...pageSizesOutOfRange());
  } else if (isScalarType(named) && named.name === 'Boolean') {
    out.push({ name: 'a string for a boolean', value: 'true' }, { name: 'a number for a boolean', value: 1 });
  } else if (isScalarType(named)) {
    out.push(...hostileStrings(named.name === 'String' || named.name === 'ID'));
    if (/date|time/i.test(named.name)) out.push(...hostileDates());
    if (named.name === 'String' && (name === 'after' || name === 'before')) out.push(...forgedCursors());
  }
  return out;
}

/** A request body, written as text: RawJson values are spliced in as they are. */
export function bodyText(body: Record<string, unknown>): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_key, v: unknown) => (v instanceof RawJson ? `\u0000raw${raws.push(v.text) - 1}\u0000` : v));
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!);
}

/**
 * The request body that puts `hostile` at `position`: valid generated values everywhere else
 * (known values by name, e.g. a real document id), as variables, or with the position's
 * argument written into the document as a literal.
 */
export function hostileBody(position: InputPosition, hostile: Hostile, known: KnownValues): string {
  if (!hostile.literal) return bodyText({ ...buildCall(position, hostile.value, known, { exact: true }) });
  const marker = `__sweep_${randomUUID()}__`;
  const call = buildCall(position, marker, known, { exact: true });
  const argName = position.path[0]!;
  const arg = position.field.args.find((a) => a.name === argName)!;
  const literal = print(astFromValue(call.variables[argName], arg.type)!).replace(
    JSON.stringify(marker),
    print({ kind: Kind.STRING, value: String(hostile.value), block: hostile.literal === 'block' }),
  );
  // The same operation, with that one argument inlined and its variable definition dropped.
  const defs = position.field.args
    .filter((a) => a.name !== argName && isNonNullType(a.type) && a.defaultValue === undefined)
    .map((a) => `$${a.name}: ${String(a.type)}`);
  const args = position.field.args
    .filter((a) => a.name === argName || (isNonNullType(a.type) && a.defaultValue === undefined))
    .map((a) => `${a.name}: ${a.name === argName ? literal : `$${a.name}`}`);
  const query = `${position.operation} Sweep${defs.length ? `(${defs.join(', ')})` : ''} { result: ${position.field.name}(${args.join(', ')}) ${selectionFor(position.field.type)} }`;
  const { [argName]: _inlined, ...variables } = call.variables;
  return bodyText({ query, variables });
}

export interface SweepAnswer {
  status: number;
  raw: string;
  codes: unknown[];
}

export async function post(graphqlUrl: string, body: string, token?: string): Promise<SweepAnswer> {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const raw = await res.text();
  let codes: unknown[] = ['(not JSON)'];
  try {
    codes = ((JSON.parse(raw) as { errors?: { extensions?: { code?: unknown } }[] }).errors ?? []).map((e) => e.extensions?.code);
  } catch {
    // reported below as a problem
  }
  return { status: res.status, raw, codes };
}

/** Codes that tell the client what is wrong with its request. RATE_LIMITED is not one: the sweep's limits are high, and a throttled call tests nothing. */
export const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'QUERY_TOO_COMPLEX',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
]);

/** What is wrong with the answer to a hostile value: it must be refused with client codes only, below HTTP 500. */
export function refusalProblem(answer: SweepAnswer, expectCode?: string): string | null {
  if (answer.status >= 500) return `HTTP ${answer.status}`;
  if (answer.codes.length === 0) return 'accepted (no error)';
  if (expectCode && answer.codes.some((c) => c !== expectCode)) return `codes ${answer.codes.join(', ')}, expected ${expectCode} only`;
  const bad = answer.codes.filter((c) => !CLIENT_CODES.has(String(c)));
  return bad.length ? `codes ${bad.join(', ')}` : null;
}

/**
 * A fingerprint of every table (count, and a hash of every row with its xmin, so even an
 * update to the same values shows), read as the owner through the plain driver, in one
 * statement. Audit events of refused attempts (`*.denied`) may be appended: they record a
 * refusal, not a change.
 */
export async function tableFingerprints(client: pg.Client): Promise<Record<string, string>> {
  const tables = (
    await client.query<{ name: string }>(`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`)
  ).rows.map((r) => r.name);
  const parts = tables.map(
    (table) =>
      `select ${pg.escapeLiteral(table)} as name, count(*)::int as n, md5(string_agg(t::text || '@' || t.xmin::text, ',' order by t::text)) as h
         from ${pg.escapeIdentifier(table)} t ${table === 'activity_event' ? `where t.action not like '%.denied'` : ''}`,
  );
  const { rows } = await client.query<{ name: string; n: number; h: string | null }>(parts.join(' union all '));
  return Object.fromEntries(rows.map((r) => [r.name, `${r.n}:${r.h ?? ''}`]));
}

/** Runs `work` over `items`, at most `width` at a time, results in order. */
export async function inPool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

/** The server's log lines (pino JSON), for a startApp `logStream`. */
export function logCapture() {
  const lines: { level: number; msg?: string; reqId?: string; raw: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const raw of chunk.toString('utf8').split('\n').filter(Boolean)) {
        try {
          lines.push({ ...(JSON.parse(raw) as { level: number; msg?: string; reqId?: string }), raw });
        } catch {
          lines.push({ level: 60, msg: 'unparsable log line', raw });
        }
      }
      done();
    },
  });
  return {
    stream,
    /** Lines above `warn` (pino level 40) logged since `from` (an index into the lines). */
    aboveWarn: (from = 0) => lines.slice(from).filter((l) => l.level > 40),
    get count() {
      return lines.length;
    },
    /** Every line so far, parsed (all of pino's fields). */
    get lines(): readonly Record<string, unknown>[] {
      return lines;
    },
  };
}
