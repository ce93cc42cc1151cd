/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<name>` (RFC 6266 section 4.3 with
 * RFC 8187's encoding), for a download name that may be any Unicode. The header value is pure
 * ASCII: quotes, backslashes and anything outside printable ASCII become `_` in the fallback;
 * the extended value escapes every byte RFC 8187's attr-char lacks (encodeURIComponent leaves
 * `'()*` bare, so those are escaped too).
 */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
