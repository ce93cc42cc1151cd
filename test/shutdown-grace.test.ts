import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './support/documents-helpers.js';
import { requestUploadOf, startEntryPointSession, type EntryPointSession } from './support/entry-point-session.js';
import { waitFor } from './support/faults-helpers.js';

// SIGTERM must not wait for ever on a slow client: after SHUTDOWN_GRACE_MS the connections still
// open are closed and the process exits. The client's upload ending that way is not a server
// error: logged below error level, without a stack. Through the real entry point (src/main.ts).

const GRACE_MS = 1_500;

describe('SIGTERM while a client uploads to a signed URL at 2 KB/s', () => {
  let session: EntryPointSession;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | 'still running';
  let exitAfterMs = Infinity;
  let clientSaw = '';
  beforeAll(async () => {
    session = await startEntryPointSession({ SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    const size = 200_000; // 100 s at 2 KB/s: far longer than the grace period
    const bytes = 'x'.repeat(size);
    // First, while the server runs, a client that gives up half-way: its upload is cut by the client.
    const given = await requestUploadOf(session, bytes);
    const quitter = request(given.uploadUrl, { method: 'PUT', headers: { ...Object.fromEntries(given.uploadHeaders.map((h) => [h.name, h.value])), 'content-length': String(size) } });
    quitter.on('error', () => undefined);
    quitter.write(bytes.slice(0, 2_000));
    await waitFor('the abandoned upload to arrive', async () => (session.proc.lines.some((l) => l.msg === 'incoming request' && (l.req as { method?: string })?.method === 'PUT') ? true : undefined), 10_000);
    await sleep(300);
    quitter.destroy();
    await waitFor('the abandoned upload to be logged', async () => (session.proc.lines.some((l) => l.msg === 'request completed' && (l.res as { statusCode?: number })?.statusCode !== 200) || session.proc.lines.some((l) => /abort|went away/i.test(String(l.msg))) ? true : undefined), 5_000).catch(() => undefined);
    await sleep(300);
    const upload = await requestUploadOf(session, bytes);
    const headers = Object.fromEntries(upload.uploadHeaders.map((h) => [h.name, h.value]));
    const put = request(upload.uploadUrl, { method: 'PUT', headers: { ...headers, 'content-length': String(size) } });
    const answered = new Promise<void>((resolve) => {
      put.on('response', (res) => {
        clientSaw = `HTTP ${res.statusCode}`;
        res.resume().on('end', resolve).on('error', resolve);
      });
      put.on('error', (err) => {
        clientSaw = `error ${(err as NodeJS.ErrnoException).code ?? err.message}`;
        resolve();
      });
    });
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent >= size || put.destroyed) return clearInterval(trickle);
      put.write(bytes.slice(sent, sent + 1_000));
      sent += 1_000;
    }, 500);
    await waitFor('the upload to be under way', async () => (sent >= 3_000 ? true : undefined), 10_000);
    const signalledAt = Date.now();
    session.proc.child.kill('SIGTERM');
    exit = await Promise.race([session.proc.exited, sleep(GRACE_MS + 8_000).then(() => 'still running' as const)]);
    exitAfterMs = Date.now() - signalledAt;
    clearInterval(trickle);
    await Promise.race([answered, sleep(2_000)]);
  }, 90_000);
  afterAll(() => session?.cleanUp());

  it('exits (code 0) after the grace period, not when the client gives up', () => {
    expect(exit, session.logTail()).toEqual({ code: 0, signal: null });
    expect(exitAfterMs).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(exitAfterMs, session.logTail()).toBeLessThan(GRACE_MS + 5_000);
    expect(session.proc.lines.some((l) => l.msg === 'stopped')).toBe(true);
    expect(clientSaw, 'the client saw its connection closed').toMatch(/^error /);
  });

  it('the cut uploads are logged below error level, without a stack; nothing is logged as an error', () => {
    expect(session.proc.lines.filter((l) => l.msg === 'client went away before its request ended').length, session.logTail()).toBeGreaterThanOrEqual(1);
    const errors = session.proc.lines.filter((l) => Number(l.level) >= 50);
    expect(errors.map((l) => JSON.stringify(l).slice(0, 400)), session.logTail()).toEqual([]);
    expect(session.proc.lines.filter((l) => JSON.stringify(l).includes('"stack"')).map((l) => JSON.stringify(l).slice(0, 400))).toEqual([]);
    expect(session.proc.lines.some((l) => l.msg === 'shutdown grace period over: closing the connections still open')).toBe(true);
  });
});
