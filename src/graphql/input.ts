import { isPlausibleEmail, normalizeEmail } from '../auth/email.js';
import { isUuid } from '../tenancy/organization-id.js';
import { badInput } from './errors.js';

// Control characters other than tab and line breaks have no place in user text.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export function parseId(value: string, what = 'id'): string {
  if (!isUuid(value)) throw badInput(`Invalid ${what}: expected a UUID.`);
  return value.toLowerCase();
}

export function text(value: string, field: string, { min = 0, max }: { min?: number; max: number }): string {
  if (CONTROL.test(value)) throw badInput(`${field} contains control characters.`);
  if (value.length < min) throw badInput(min === 1 ? `${field} must not be empty.` : `${field} must be at least ${min} characters.`);
  if (value.length > max) throw badInput(`${field} must be at most ${max} characters.`);
  return value;
}

/** Single-line text: trimmed, no line breaks. */
export function line(value: string, field: string, limits: { min?: number; max: number }): string {
  const trimmed = value.trim();
  if (/[\r\n\t]/.test(trimmed)) throw badInput(`${field} must be a single line.`);
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
