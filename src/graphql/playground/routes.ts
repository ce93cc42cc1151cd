import type { FastifyInstance, FastifyReply } from 'fastify';
import { getStaticFile } from 'ruru/static';
import { START_SCRIPT, START_STYLES } from './browser-files.js';
import { PLAYGROUND_CSP, PLAYGROUND_PATH, RURU_PATH } from './page.js';

/**
 * Serves the playground's files and sets the page's headers:
 * - GET /playground/start.js and /playground/start.css: the page's own script and styles;
 * - GET /playground/ruru/<file>: Ruru's prebuilt files, from the installed `ruru` package through
 *   its `getStaticFile` (files held in memory brotli-compressed, about 4 MB once loaded;
 *   decompressed for a client without `br`; source maps, about 10 MB, only when asked for).
 *   Only the package's own file names are found (a lookup by name, never a file-system path):
 *   anything else is Fastify's ordinary 404;
 * - the page (GET /graphql preferring HTML, answered by Apollo's landing-page hook) gets the
 *   Content-Security-Policy of page.ts and is not cached or framed.
 * Register after the error handler, so these routes use it.
 */
export function registerPlaygroundRoutes(app: FastifyInstance): void {
  // One page load fetches some 30 files: their request lines would drown the log at info.
  const quiet = { logLevel: 'warn' as const };
  const own = (body: string, type: string) => (_request: unknown, reply: FastifyReply) =>
    reply.header('content-type', type).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').send(body);
  app.get(`${PLAYGROUND_PATH}start.js`, quiet, own(START_SCRIPT, 'text/javascript; charset=utf-8'));
  app.get(`${PLAYGROUND_PATH}start.css`, quiet, own(START_STYLES, 'text/css; charset=utf-8'));

  app.get(`${RURU_PATH}*`, quiet, async (request, reply) => {
    const file = await getStaticFile({ staticPath: RURU_PATH, urlPath: request.url, acceptEncoding: request.headers['accept-encoding'] });
    if (!file) return reply.callNotFound();
    // Names are stable across Ruru versions (ruru.js), so browsers revalidate by ETag each time.
    reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding');
    if (file.headers.etag && request.headers['if-none-match'] === file.headers.etag) return reply.code(304).header('etag', file.headers.etag).send();
    return reply.headers(file.headers).send(file.content);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (request.routeOptions.url === '/graphql' && typeof type === 'string' && type.startsWith('text/html')) {
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', PLAYGROUND_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('x-frame-options', 'DENY') // for browsers without CSP frame-ancestors
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store');
    }
    return payload;
  });
}
