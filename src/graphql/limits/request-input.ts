import { Kind, visit, type DocumentNode } from 'graphql';
import { AppError } from '../errors.js';
import { CONTROL_EXCEPT_TAB_AND_NEWLINES, LONE_SURROGATE } from '../../text-characters.js';

// Every string a client puts into a request, checked once before anything runs: the variables
// and extensions at any depth (keys included), the operation name and each string literal of the
// document. A string that passes is plain text PostgreSQL stores exactly as sent. Refused:
//
// - NUL: PostgreSQL text cannot hold it (the driver fails with "invalid message format");
// - the other C0 controls except tab, LF and CR, DEL (U+007F) and the C1 controls
//   (U+0080-U+009F): never user text, and terminal escapes in stored data reach whoever reads
//   it in a log or a shell (ESC, and its 8-bit form CSI U+009B; NEL U+0085 is a line break
//   some tools honour);
// - LINE SEPARATOR and PARAGRAPH SEPARATOR (U+2028, U+2029): line breaks that most tools do
//   not show as such, so a "single-line" value could hold a hidden break; user text breaks
//   lines with LF (or CR LF);
// - lone UTF-16 surrogates: not Unicode text at all (ECMAScript's "well-formed" strings);
//   node-postgres encodes them as U+FFFD, so what is stored would silently differ from what
//   was sent.
//
// JSON parsing is iterative in V8, but nearly everything that walks a value afterwards
// (JSON.stringify, graphql-js's input coercion, structured logging) recurses. So the walk here
// is iterative and bounds the nesting before any of those see the value.

/**
 * Deepest nesting of arrays and objects in `variables` or `extensions` (a top-level object is
 * level 1). The schema's deepest input today is 3 (`variables.input.field`, a list inside an
 * input object adds one); 32 leaves room for any schema while staying far below the depth at
 * which a recursive walk exhausts the stack (thousands of levels).
 */
export const MAX_INPUT_DEPTH = 32;

const FORBIDDEN_CHARACTER = new RegExp(`${CONTROL_EXCEPT_TAB_AND_NEWLINES.source}|${LONE_SURROGATE.source}`);

/** What a request carries besides its document (Apollo's GraphQLRequest fields). */
export interface RequestInput {
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  operationName?: string;
}

const refused = (message: string) => new AppError('BAD_USER_INPUT', message, 400);

/** Names the first forbidden character of `s` (e.g. "U+0000"), or null when `s` is clean. */
export function forbiddenCharacter(s: string): string | null {
  const match = FORBIDDEN_CHARACTER.exec(s);
  return match ? `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : null;
}

function checkString(s: string, where: string): void {
  const bad = forbiddenCharacter(s);
  if (bad) {
    throw refused(
      `${where} contains ${bad}, which is not allowed: control characters other than tab, LF and CR, U+2028/U+2029 and unpaired UTF-16 surrogates are refused.`,
    );
  }
}

/**
 * Walks one client JSON value without recursion: depth at most MAX_INPUT_DEPTH, every string
 * (and object key) clean. `label` names the value in the message ("variables").
 * Throws AppError BAD_USER_INPUT (HTTP 400).
 */
export function checkJsonValue(value: unknown, label: string): void {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value, depth: 0, path: label }];
  while (stack.length > 0) {
    const { value: v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      checkString(v, `The value at "${path}"`);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > MAX_INPUT_DEPTH) throw refused(`"${label}" nests deeper than ${MAX_INPUT_DEPTH} levels.`);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], depth: depth + 1, path: `${path}.${i}` });
      continue;
    }
    for (const [key, inner] of Object.entries(v)) {
      checkString(key, `A key in "${path}"`);
      stack.push({ value: inner, depth: depth + 1, path: `${path}.${key}` });
    }
  }
}

// A document is immutable and Apollo reuses one parsed document per query text: check it once.
const cleanDocuments = new WeakSet<DocumentNode>();

/** Every string and block-string literal of the document (escapes such as `\u0000` already decoded by the parser). */
export function checkDocumentStrings(document: DocumentNode): void {
  if (cleanDocuments.has(document)) return;
  visit(document, {
    [Kind.STRING](node) {
      const bad = forbiddenCharacter(node.value);
      if (bad) {
        const at = node.loc ? ` (line ${node.loc.startToken.line}, column ${node.loc.startToken.column})` : '';
        throw refused(`A string in the query${at} contains ${bad}, which is not allowed: control characters other than tab, LF and CR, U+2028/U+2029 and unpaired UTF-16 surrogates are refused.`);
      }
    },
  });
  cleanDocuments.add(document);
}

/**
 * The whole check of a request's input, before anything executes: operation name, variables,
 * extensions, then the document's string literals. Throws AppError BAD_USER_INPUT (HTTP 400),
 * naming where the problem is and never echoing the value.
 */
export function checkRequestInput(request: RequestInput, document: DocumentNode): void {
  if (typeof request.operationName === 'string') checkString(request.operationName, 'operationName');
  checkJsonValue(request.variables ?? {}, 'variables');
  checkJsonValue(request.extensions ?? {}, 'extensions');
  checkDocumentStrings(document);
}
