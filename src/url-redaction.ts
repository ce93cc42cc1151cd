// Secrets a URL may carry, kept out of the log. A signed file URL (`/files/<payload>.<signature>`,
// src/storage/local/) lets anyone holding it read or write the object until it expires, so its
// token is never logged; nor is a query-string value whose name says it is a credential, nor
// GraphQL GET `variables` (they may carry anything a client sends).

const SIGNED_FILE_PATH = /^\/files\/[^?#]*/;
const SECRET_PARAMETER = /token|sig|secret|password|passwd|key|auth|code|jwt|session|credential|variables/i;
const REDACTED = '<redacted>';

/**
 * `url` (a request target: path and optional query, as in `request.url`) with its secrets
 * replaced by `<redacted>`: the token of a signed file URL (`/files/<redacted>`) and the value of
 * each query parameter named like a credential. Anything else is kept, so a log line still says
 * which route was asked for. A value that is not a string is returned as it is.
 */
export function redactUrl(url: unknown): unknown {
  if (typeof url !== 'string') return url;
  const [path = '', ...rest] = url.split('?');
  const safePath = path.replace(SIGNED_FILE_PATH, `/files/${REDACTED}`);
  if (rest.length === 0) return safePath;
  const query = rest.join('?')
    .split('&')
    .map((pair) => {
      const [name = ''] = pair.split('=', 1);
      return SECRET_PARAMETER.test(safeDecode(name)) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${safePath}?${query}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The fields of a request (Fastify's or Node's) worth logging: method, redacted url, host, client address. */
export function requestForLog(req: { method?: string; url?: string; host?: string; ip?: string; hostname?: string; socket?: { remotePort?: number; remoteAddress?: string } | null }): Record<string, unknown> {
  return {
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}
