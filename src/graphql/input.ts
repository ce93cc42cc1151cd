import { isPlausibleEmail, normalizeEmail } from '../auth/email.js';
import { isUuid } from '../tenancy/organization-id.js';
import { CONTROL_EXCEPT_TAB_AND_NEWLINES } from '../text-characters.js';
import { badInput } from './errors.js';

// The same rule as request-input.ts's check of every request string, applied here too so a
// caller outside GraphQL (a seed, a test) gets it.
const CONTROL = CONTROL_EXCEPT_TAB_AND_NEWLINES;
// Anything that breaks a line: LF, CR, NEL (U+0085), LINE and PARAGRAPH SEPARATOR.
const LINE_BREAK = /[\n\r\u0085\u2028\u2029]/;

export function parseId(value: string, what = 'id'): string {
  if (!isUuid(value)) throw badInput(`Invalid ${what}: expected a UUID.`);
  return value.toLowerCase();
}

/**
 * Checked multi-line text: no control characters but tab, LF and CR (CONTROL), `min` to `max`
 * UTF-16 code units. Returns `value` unchanged; throws BAD_USER_INPUT naming `field`.
 */
export function text(value: string, field: string, { min = 0, max }: { min?: number; max: number }): string {
  if (CONTROL.test(value)) throw badInput(`${field} contains control characters.`);
  if (value.length < min) throw badInput(min === 1 ? `${field} must not be empty.` : `${field} must be at least ${min} characters.`);
  if (value.length > max) throw badInput(`${field} must be at most ${max} characters.`);
  return value;
}

/**
 * Single-line text (a title, a name, a filename): trimmed, then no line break of any kind
 * (LINE_BREAK) and no tab, then text()'s checks. A tab is refused here though multi-line text
 * may hold one: a title or a name is shown in one cell of a list, where a tab is invisible
 * and misaligns columns. Throws BAD_USER_INPUT naming `field` and what was found.
 */
export function line(value: string, field: string, limits: { min?: number; max: number }): string {
  const trimmed = value.trim();
  if (LINE_BREAK.test(trimmed)) throw badInput(`${field} must be a single line: it contains a line break.`);
  if (trimmed.includes('\t')) throw badInput(`${field} must not contain a tab.`);
  return text(trimmed, field, limits);
}

/**
 * An email address as entered: normalized (NFC, case-folded: see normalizeEmail), then checked
 * by isPlausibleEmail (shape `local@domain.tld`, at most 254 characters, no whitespace, control
 * characters or lone surrogates).
 * Throws BAD_USER_INPUT ("Invalid email address.") otherwise; returns the normalized form.
 */
export function email(value: string): string {
  const v = normalizeEmail(value);
  if (!isPlausibleEmail(v)) throw badInput('Invalid email address.');
  return v;
}
