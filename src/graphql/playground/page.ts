import { startDocument, type DemoSignIn } from './start-document.js';

/** URL path of the playground's own files (start.js, start.css); ends in a slash. */
export const PLAYGROUND_PATH = '/playground/';
/** URL path of Ruru's prebuilt files (ruru.js, its chunks, workers, CSS, font, source maps). */
export const RURU_PATH = `${PLAYGROUND_PATH}ruru/`;

/**
 * The page's Content-Security-Policy (CSP Level 3): scripts, style sheets, fonts, images, workers
 * and fetches from this origin only, so the browser itself refuses anything from elsewhere (the
 * browser test runs under it and counts its violations as console errors). Two allowances, each
 * needed (the editors break without them, with one violation per element): `style-src
 * 'unsafe-inline'`, since Monaco and GraphiQL add <style> elements and style attributes at run
 * time (an inline style still cannot load from elsewhere: its @import and url() are held to
 * style-src, font-src and img-src); and `data:` fonts and images, which Ruru's CSS embeds (its
 * icon and text fonts). No inline script, no 'unsafe-eval'.
 */
export const PLAYGROUND_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * JSON for a <script type="application/json"> block: `<` is escaped, so no string in it can
 * close the element (HTML standard, "Restrictions for contents of script elements").
 */
const jsonForHtml = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * The playground page: Ruru (GraphiQL) started by /playground/start.js with the settings in the
 * page's JSON block (Ruru's props: `RuruClientConfig` in ruru/dist/interfaces.d.ts, plus
 * GraphiQL's `defaultQuery`/`defaultHeaders`, used for the first tab and for new tabs). No
 * inline script and no URL of another origin. Demo credentials appear only when `demo` is given.
 */
export function playgroundHtml(options: { demo?: DemoSignIn; production: boolean }): string {
  const start = startDocument(options);
  const config = {
    staticPath: RURU_PATH,
    // No endpoint: Ruru posts to its default, /graphql, and opens no WebSocket (it would for an endpoint).
    defaultQuery: start.query,
    defaultHeaders: start.headers,
    // Ruru's "explain" shows PostGraphile's SQL plans: this server sends none.
    debugTools: [],
  };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tenantql playground</title>
<link rel="modulepreload" href="${RURU_PATH}ruru.js">
<link rel="stylesheet" href="${RURU_PATH}ruru.css">
<link rel="stylesheet" href="${PLAYGROUND_PATH}start.css">
<script type="application/json" id="playground-config">${jsonForHtml(config)}</script>
<script type="module" src="${PLAYGROUND_PATH}start.js"></script>
</head>
<body>
<div id="ruru-root"></div>
<noscript>The playground needs JavaScript. Without it, POST GraphQL requests to /graphql.</noscript>
</body>
</html>
`;
}
