// The playground's own browser files, served next to Ruru's (see routes.ts). They replace the
// inline <script> and <style> blocks of Ruru's default page, so the page's Content-Security-Policy
// can allow scripts from 'self' only. Kept as text here (not .js files) so that `npm run build`
// carries them into dist/ with the rest of the server.

/**
 * A module script: reads the configuration the page carries as a JSON data block (not executed,
 * so not a script to CSP), tells Monaco where its workers are (same origin: `worker-src 'self'`),
 * and mounts Ruru. The workers and `ruru.js` are Ruru's documented entry points
 * (ruru/dist/server.js, makeHTMLParts: headerScripts and bodyInitScript).
 */
export const START_SCRIPT = `// tenantql playground: mounts Ruru (GraphiQL) from this server's own files.
const config = JSON.parse(document.getElementById("playground-config").textContent);
const worker = (file) => new Worker(new URL(config.staticPath + file, location.href), { type: "module" });
globalThis.MonacoEnvironment = {
  getWorker(_id, label) {
    if (label === "json") return worker("jsonWorker.js");
    if (label === "graphql") return worker("graphqlWorker.js");
    return worker("editorWorker.js");
  },
};
const { React, createRoot, Ruru } = await import(config.staticPath + "ruru.js");
createRoot(document.getElementById("ruru-root")).render(React.createElement(Ruru, config));
`;

/** The page's own layout: the editor fills the window. */
export const START_STYLES = `body { margin: 0; }
#ruru-root { height: 100vh; }
`;
