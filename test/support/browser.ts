import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). A test tool's own browser download cannot work here. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** Everything the page did that a working, offline playground must not do. */
export interface BrowserFindings {
  /** Requests to any host but 127.0.0.1, each blocked before it left. */
  outside: string[];
  /** console.error messages (CSP violations and failed loads among them). */
  consoleErrors: string[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** Same-origin requests that failed or got a 4xx/5xx. */
  failedRequests: string[];
}

export interface TestBrowser {
  page: Page;
  context: BrowserContext;
  findings: BrowserFindings;
  close(): Promise<void>;
}

/**
 * Headless Chromium in a new empty profile, with the network closed: a request for any host
 * other than 127.0.0.1 (http, https, ws, wss) is aborted and recorded: context.route sees the
 * page's and its workers' requests, routeWebSocket its WebSockets. data: and blob: URLs never
 * reach the network.
 */
export async function openBrowser(opts: { width?: number; height?: number } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'tenantql-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      // Belt and braces: a request that got past the routes below could not even resolve a name.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
    viewport: { width: opts.width ?? 1400, height: opts.height ?? 820 },
    serviceWorkers: 'block',
  });
  const findings: BrowserFindings = { outside: [], consoleErrors: [], pageErrors: [], failedRequests: [] };
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname !== '127.0.0.1') {
      findings.outside.push(url.href);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  await context.routeWebSocket(/.*/, (ws) => {
    const url = new URL(ws.url());
    if (url.hostname !== '127.0.0.1') {
      findings.outside.push(url.href);
      return ws.close();
    }
    ws.connectToServer();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error') findings.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => findings.pageErrors.push(error.message));
  page.on('requestfailed', (request) => findings.failedRequests.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) findings.failedRequests.push(`${response.url()}: HTTP ${response.status()}`);
  });
  return {
    page,
    context,
    findings,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Runs `step`; if it throws, the error also lists what the browser saw meanwhile. */
export async function explainedBy<T>(findings: BrowserFindings, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    error.message += `\nwhat the browser saw: ${JSON.stringify(findings, null, 2)}`;
    throw error;
  }
}
