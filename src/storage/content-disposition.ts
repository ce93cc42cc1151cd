// Content-Disposition for downloads: the file's name shown to the browser, never used as a path.

// RFC 8187 3.2.1 attr-char: what may stand unescaped in an ext-value; everything else (UTF-8
// bytes included) is %XX. encodeURIComponent alone would leave ' ( ) * unescaped.
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

/** `filename` as an RFC 8187 ext-value: `UTF-8''` then its UTF-8 bytes, attr-chars kept, the rest %XX. */
function extValue(filename: string): string {
  let out = "UTF-8''";
  for (const char of filename) {
    if (ATTR_CHAR.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * `attachment; filename="<ascii>"; filename*=UTF-8''<encoded>` (RFC 6266 4.1 and 4.3, RFC 8187):
 * the quoted ASCII fallback for old clients has anything outside printable ASCII, `"`, `\` and
 * `%` replaced by `_`; clients that know `filename*` use the exact name. The value is plain ASCII,
 * so it survives a query string (S3's response-content-disposition) and any header.
 */
export function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/gu, '_');
  return `attachment; filename="${ascii}"; filename*=${extValue(filename)}`;
}
