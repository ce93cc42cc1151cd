// The characters no stored text may hold, in one place for every check of user text (request
// strings, GraphQL inputs, emails, organization names from the command line). Why each is
// refused: src/graphql/limits/request-input.ts.

/** C0 controls other than tab, LF and CR; DEL; C1 controls (U+0080-U+009F); U+2028 and U+2029. */
export const CONTROL_EXCEPT_TAB_AND_NEWLINES = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]/;

/** Every control character (C0 with tab, LF and CR; DEL; C1) and U+2028/U+2029: none belongs in a one-line value. */
export const ANY_CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;

/** A UTF-16 surrogate without its pair: not Unicode text (ECMAScript's "well-formed" strings). */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
