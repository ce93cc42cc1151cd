import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { DEMO_PASSWORD, DEMO_USERS } from '../src/db/seeders/demo-data.js';
import { PLAYGROUND_CSP } from '../src/graphql/playground/page.js';
import { startApp, type TestApp } from './support/app.js';
import { CHROMIUM, explainedBy, hasChromium, openBrowser, type TestBrowser } from './support/browser.js';
import { createTestDatabase } from './support/database.js';
import { expectNoPlayground } from './support/graphql.js';
import { editorText, headersEditor, queryEditor, runOperation, setHeaders, waitForResult } from './support/playground-helpers.js';

// The playground (src/graphql/playground/): GraphiQL (Ruru) served from this server's own files,
// so it works with no network. Over HTTP: the page, its headers and files, who gets it and with
// which start. In Chromium with every outside request blocked: it loads, signs in, reads documents.

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const [ALICE] = DEMO_USERS;

async function getPage(app: TestApp) {
  const res = await fetch(app.graphqlUrl, { headers: { accept: BROWSER_ACCEPT } });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

/** The settings the page hands to Ruru (its JSON data block). */
function pageConfig(html: string): { staticPath: string; defaultQuery: string; defaultHeaders: string } {
  const json = /<script type="application\/json" id="playground-config">([^<]*)<\/script>/.exec(html)?.[1];
  if (!json) throw new Error(`no configuration block in the page:\n${html}`);
  return JSON.parse(json);
}

/** GET with the path sent exactly as written (fetch would resolve `..` and `%2e` itself). */
function rawGet(app: TestApp, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the playground in development, with the demo data seeded', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ NODE_ENV: 'development', SEED_DEMO_DATA: 'true' });
  });
  afterAll(() => app?.close());

  it('a browser\'s GET of /graphql gets the page, under a Content-Security-Policy that allows this origin only', async () => {
    const { status, headers, html } = await getPage(app);
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(headers.get('content-security-policy')).toBe(PLAYGROUND_CSP);
    // Every fetch directive is 'self' (plus data: and inline styles, see page.ts); nothing else.
    for (const directive of PLAYGROUND_CSP.split('; ')) {
      expect(directive, directive).toMatch(/^[a-z-]+ ('self'|'none')( 'unsafe-inline'| data:)?$/);
    }
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(html).toMatch(/<title>tenantql playground<\/title>/);
  });

  it('the page names no other origin and runs no inline script: every src and href is a path here', async () => {
    const { html } = await getPage(app);
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls) expect(url, url).toMatch(/^\/(?!\/)/);
    expect(html).not.toMatch(/https?:|\/\/[a-z]/i);
    const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    for (const [, attributes, body] of scripts) {
      // Executable scripts come from a file; the one script element with content is JSON data.
      if (body!.trim() !== '') expect(attributes).toContain('type="application/json"');
      else expect(attributes).toMatch(/src="\//);
    }
  });

  it('opens signed out, with a sign-in as the demo user and the headers editor ready for Authorization', async () => {
    const config = pageConfig((await getPage(app)).html);
    expect(config.defaultQuery).toContain('mutation SignIn');
    expect(config.defaultQuery).toContain(`email: "${ALICE!.email}"`);
    expect(config.defaultQuery).toContain(`password: "${DEMO_PASSWORD}"`);
    expect(config.defaultQuery).toContain('query MyDocuments');
    expect(JSON.parse(config.defaultHeaders)).toEqual({ Authorization: '' });
  });

  it('serves the page\'s own files and Ruru\'s from the installed package, brotli-compressed when the client takes it', async () => {
    const { html } = await getPage(app);
    const files: Record<string, RegExp> = { js: /^text\/javascript/, css: /^text\/css/ };
    for (const [, path] of html.matchAll(/\b(?:src|href)="([^"]*)"/g)) {
      const res = await fetch(new URL(path!, app.url), { headers: { 'accept-encoding': 'gzip' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(files[path!.split('.').pop()!]!);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect((await res.text()).length, path).toBeGreaterThan(20);
    }
    const br = await rawGet(app, '/playground/ruru/ruru.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    const plain = await rawGet(app, '/playground/ruru/ruru.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toMatch(/export const createRoot/);
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
  });

  it('revalidates Ruru\'s files by ETag (304, no body)', async () => {
    const first = await rawGet(app, '/playground/ruru/ruru.css');
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await rawGet(app, '/playground/ruru/ruru.css', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('finds only the package\'s own file names: anything else under the path is a 404, never a file of this machine', async () => {
    // Up from the package's folder to the project's package.json and the machine's /etc/passwd,
    // however deep the folder lies, in the spellings that reach a file system after decoding.
    const upwards = [1, 2, 3, 4, 5, 6, 8, 12].flatMap((depth) =>
      ['../', '%2e%2e/', '..%2f', '%2e%2e%2f', '..%5c'].flatMap((up) => [`${up.repeat(depth)}package.json`, `${up.repeat(depth)}etc/passwd`]),
    );
    const paths = [
      ...upwards.map((path) => `/playground/ruru/${path}`),
      '/playground/ruru/',
      '/playground/ruru/nope.js',
      '/playground/ruru/__proto__',
      '/playground/ruru/constructor',
      '/playground/ruru/ruru.js/',
      '/playground/ruru//etc/passwd',
      '/playground/ruru/%00',
      '/playground/start.jsx',
      '/playground/',
    ];
    for (const path of paths) {
      const res = await rawGet(app, path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString(), path).not.toMatch(/"name": "tenantql"|root:|\bat \w+ \(/);
    }
  });

  it('keeps Apollo\'s CSRF prevention: a GET operation without a preflight header is refused', async () => {
    const res = await fetch(`${app.graphqlUrl}?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Cross-Site Request Forgery/);
  });

  describe.skipIf(!hasChromium && !process.env.CI)(`in Chromium with the network closed (skipped where ${CHROMIUM} is missing: apt-get install chromium)`, () => {
    let browser: TestBrowser;
    beforeAll(async () => {
      // CI installs Chromium (.ci/run): there, a missing browser is a failure, not a skip.
      if (!hasChromium) throw new Error(`CI has no ${CHROMIUM}: .ci/run should have installed it`);
      browser = await openBrowser();
    });
    afterAll(() => browser?.close());

    it('loads, signs in, runs a documents query and shows the result: no outside request, no console or page error', { timeout: 90_000 }, async () => {
      const { findings } = browser;
      // A step that times out says what the browser saw meanwhile (an outside request blocked, say).
      await explainedBy(findings, () => signInAndReadDocuments(browser));
      expect(findings.outside).toEqual([]);
      expect(findings.consoleErrors).toEqual([]);
      expect(findings.pageErrors).toEqual([]);
      expect(findings.failedRequests).toEqual([]);
    });

    async function signInAndReadDocuments({ page }: TestBrowser) {
      await page.goto(app.graphqlUrl);
      await page.getByText('mutation SignIn').first().waitFor({ timeout: 30_000 });
      expect(await editorText(queryEditor(page))).toContain(ALICE!.email);
      expect((await editorText(headersEditor(page))).replace(/\s/g, '')).toBe('{"Authorization":""}');

      await runOperation(page, 'SignIn');
      // The result pane wraps the long token over several lines: the token is what lies between the quotes, less the wrapping.
      const TOKEN = /"accessToken": "([\w.\s-]+)"/;
      const signedIn = await waitForResult(page, (text) => TOKEN.test(text) && text.includes('"organization"'));
      const token = TOKEN.exec(signedIn)![1]!.replace(/\s/g, '');
      expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const organization = /"name": "([^"]+)"/.exec(signedIn)![1]!;

      await setHeaders(page, `{ "Authorization": "Bearer ${token}" }`);
      const answer = page.waitForResponse((r) => r.url() === app.graphqlUrl && r.request().postData()?.includes('"operationName":"MyDocuments"') === true);
      await runOperation(page, 'MyDocuments');
      const body = (await (await answer).json()) as { data: { me: { user: { email: string }; organization: { name: string } }; documents: { edges: { node: { title: string } }[] } } };
      const shown = await waitForResult(page, (text) => text.includes('"edges"'));
      // A screenshot of this state for the README: PLAYGROUND_SCREENSHOT=docs/playground.png.
      if (process.env.PLAYGROUND_SCREENSHOT) await page.screenshot({ path: process.env.PLAYGROUND_SCREENSHOT });

      // The answer is the signed-in user's, in the token's organization: its three demo documents
      // and none of the other organization's (the pane shows the top of it; the editor renders
      // only the lines in view).
      expect(body.data.me.user.email).toBe(ALICE!.email);
      expect(body.data.me.organization.name).toBe(organization);
      const titles = body.data.documents.edges.map((e) => e.node.title);
      expect(titles).toHaveLength(3);
      for (const title of titles) expect(title.startsWith(organization.split(' ')[0]!), title).toBe(true);
      expect(shown).toContain(`"email": "${ALICE!.email}"`);
      expect(shown).toContain(`"name": "${organization}"`);
      expect(shown).toContain(`"title": "${titles[0]}"`);
    }
  });
});

describe('the playground in development without the demo data', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ NODE_ENV: 'development' }); // startApp seeds nothing
  });
  afterAll(() => app?.close());

  it('opens with a sign-in to fill in, offering no demo credentials that would not work', async () => {
    const { status, html } = await getPage(app);
    expect(status).toBe(200);
    const config = pageConfig(html);
    expect(config.defaultQuery).toContain('mutation SignIn');
    expect(config.defaultQuery).toContain('you@example.com');
    expect(html).not.toContain(DEMO_PASSWORD);
    for (const user of DEMO_USERS) expect(html).not.toContain(user.email);
  });
});

describe('who gets the playground: PLAYGROUND_ENABLED, production', () => {
  /** One database with the demo users in it, so that "no demo credentials" means something. */
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    const seeded = await startApp({ SEED_DEMO_DATA: 'true' }, databaseUrl);
    await seeded.close();
  });

  it('production: no page (a browser\'s GET keeps the JSON error) and no playground files', async () => {
    const app = await startApp({ NODE_ENV: 'production' }, databaseUrl);
    try {
      await expectNoPlayground(app);
      for (const path of ['/playground/start.js', '/playground/start.css', '/playground/ruru/ruru.js']) {
        expect((await rawGet(app, path)).status, path).toBe(404);
      }
    } finally {
      await app.close();
    }
  });

  it('production with PLAYGROUND_ENABLED=true: the page and its files, under the same CSP, but never the demo credentials', async () => {
    const app = await startApp({ NODE_ENV: 'production', PLAYGROUND_ENABLED: 'true' }, databaseUrl);
    try {
      const { status, headers, html } = await getPage(app);
      expect(status).toBe(200);
      expect(headers.get('content-security-policy')).toBe(PLAYGROUND_CSP);
      expect(html).not.toContain(DEMO_PASSWORD);
      for (const user of DEMO_USERS) expect(html).not.toContain(user.email);
      expect(pageConfig(html).defaultQuery).toMatch(/Introspection is off in production/);
      expect((await rawGet(app, '/playground/ruru/ruru.js')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('development with PLAYGROUND_ENABLED=false: no page', async () => {
    const app = await startApp({ NODE_ENV: 'development', PLAYGROUND_ENABLED: 'false' }, databaseUrl);
    try {
      await expectNoPlayground(app);
      expect((await rawGet(app, '/playground/start.js')).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('PLAYGROUND_ENABLED: unset follows production; true/false (1/0, yes/no) win; anything else is a configuration error', () => {
    const secret = 'a-secret-of-at-least-thirty-two-bytes!!';
    expect(loadConfig({ NODE_ENV: 'development' }).playground).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', PLAYGROUND_ENABLED: '' }).playground).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret }).playground).toBe(false);
    expect(loadConfig({ DEPLOYMENT_MODE: 'multi_tenant', JWT_SECRET: secret }).playground).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, PLAYGROUND_ENABLED: 'yes' }).playground).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', PLAYGROUND_ENABLED: '0' }).playground).toBe(false);
    for (const value of ['maybe', 'on', 'TRUE ']) {
      expect(() => loadConfig({ PLAYGROUND_ENABLED: value }), value).toThrow(ConfigError);
      try {
        loadConfig({ PLAYGROUND_ENABLED: value });
      } catch (err) {
        expect((err as ConfigError).problems, value).toEqual(['PLAYGROUND_ENABLED: must be true or false']);
      }
    }
  });
});
