import { ANY_CONTROL, LONE_SURROGATE } from '../text-characters.js';

/** RFC 5321 section 4.5.3.1.3: a path is at most 256 octets, so an address at most 254 characters. */
export const MAX_EMAIL_LENGTH = 254;

/**
 * The one normalized form of an email address, used everywhere an email enters the system
 * (sign-up, confirmation, sign-in and its throttle key, invitations and their acceptance, the
 * external identity provider's email claim, every lookup) and stored in `user.email`, so two
 * spellings a person cannot tell apart are one account.
 *
 * Exactly: surrounding whitespace trimmed; Unicode NFC (`é` precomposed and `e` + U+0301 become
 * one); then case-folded with ECMAScript's locale-independent full case mappings
 * (`toLowerCase`, `toUpperCase`, `toLowerCase`: Unicode's SpecialCasing.txt and
 * UnicodeData.txt, no Turkish or Lithuanian tailoring); then NFC again, because a case mapping
 * can leave a decomposed sequence (`İ` lowercases to `i` + U+0307). The round trip through upper
 * case gives every case variant one form, including those plain lowercasing keeps apart and
 * Unicode's full case folding (CaseFolding.txt, statuses C and F) joins: `ß`/`ẞ`/`SS` -> `ss`,
 * `ſ` -> `s`, `ﬁ` -> `fi`, Greek iota subscripts, `σ`/`ς`/`Σ` (ECMAScript's final-sigma rule picks
 * `ς` at the end of a word, for every spelling alike). One deliberate difference from
 * CaseFolding.txt: dotless `ı` joins `i` (they look alike; keeping them apart would allow the
 * very look-alike accounts this prevents).
 *
 * Idempotent: `normalizeEmail(normalizeEmail(x)) === normalizeEmail(x)`. Validation (shape,
 * length, control characters) is separate: `email()` in src/graphql/input.ts.
 */
export function normalizeEmail(raw: string): string {
  return raw.trim().normalize('NFC').toLowerCase().toUpperCase().toLowerCase().normalize('NFC');
}


/**
 * Whether a normalized address has the shape `local@domain.tld`, at most MAX_EMAIL_LENGTH
 * characters, no whitespace, control characters or lone surrogates. PostgreSQL refuses NUL in
 * text and node-postgres would store a lone surrogate as U+FFFD, so an address failing this must
 * never reach a query: callers answer BAD_USER_INPUT (input) or treat the claim as absent (tokens).
 */
export function isPlausibleEmail(normalized: string): boolean {
  return (
    normalized.length <= MAX_EMAIL_LENGTH &&
    !ANY_CONTROL.test(normalized) &&
    !LONE_SURROGATE.test(normalized) &&
    /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(normalized)
  );
}
