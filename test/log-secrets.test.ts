import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompleteFileUploadDocument, DocumentFilesDocument } from '../src/client/generated/graphql.js';
import { redactUrl } from '../src/url-redaction.js';
import { startEntryPointSession, requestUploadOf, type EntryPointSession } from './support/entry-point-session.js';
import { waitFor } from './support/faults-helpers.js';
import { putBytes } from './support/files-helpers.js';
import { gqlOk } from './support/graphql.js';

// A signed file URL is a credential until it expires: whoever reads it in a log can use it. The
// real entry point's log (its JSON lines at `info`: "incoming request", "request completed",
// refusals) must name the route, never the token.

/** The token of a signed `local` URL: everything after /files/. */
const tokenOf = (url: string) => new URL(url).pathname.slice('/files/'.length);

describe('signed file URLs in the log of the real entry point', () => {
  let session: EntryPointSession;
  let secrets: string[];
  beforeAll(async () => {
    session = await startEntryPointSession();
    const bytes = 'secret-free log please';
    const upload = await requestUploadOf(session, bytes);
    const headers = upload.uploadHeaders;
    // A PUT with the wrong method (GET, a 403 refusal), the real PUT, a download, and a tampered URL (403).
    await fetch(upload.uploadUrl).then((r) => r.arrayBuffer());
    expect((await putBytes(upload.uploadUrl, headers, bytes)).status).toBe(200);
    await gqlOk(session, CompleteFileUploadDocument, { fileId: upload.file.id }, { token: session.token });
    const [file] = (await gqlOk(session, DocumentFilesDocument, { id: session.documentId }, { token: session.token })).document!.files;
    const download = await fetch(file!.downloadUrl);
    expect(await download.text()).toBe(bytes);
    await fetch(`${file!.downloadUrl}x`).then((r) => r.arrayBuffer());
    // A signed URL sent with a method it does not take: Fastify's not-found path.
    await fetch(file!.downloadUrl, { method: 'DELETE' }).then((r) => r.arrayBuffer());
    secrets = [tokenOf(upload.uploadUrl), tokenOf(file!.downloadUrl)];
    // The five /files requests' lines (incoming and completed) are written before the tests read
    // the log: the log arrives through a pipe, after the answers (counting all "request
    // completed" lines let the GraphQL ones of the set-up satisfy the wait).
    const fileRequestIds = () => new Set(session.proc.lines.filter((l) => l.msg === 'incoming request' && String((l.req as { url?: string })?.url).startsWith('/files/')).map((l) => l.reqId));
    const completed = () => new Set(session.proc.lines.filter((l) => l.msg === 'request completed').map((l) => l.reqId));
    await waitFor('the file requests to be logged', async () => {
      const ids = fileRequestIds();
      const done = completed();
      return ids.size >= 5 && [...ids].every((id) => done.has(id)) ? true : undefined;
    }, 10_000);
  }, 90_000);
  afterAll(() => session?.cleanUp());

  it('the requests were logged, with their URL redacted', () => {
    const files = session.proc.lines.filter((l) => l.msg === 'incoming request' && String((l.req as { url?: string })?.url).startsWith('/files/'));
    expect(files.length, session.logTail()).toBeGreaterThanOrEqual(4);
    expect(new Set(files.map((l) => (l.req as { url: string }).url))).toEqual(new Set(['/files/<redacted>']));
  });

  it('no log line carries a signed URL token, nor its signature alone', () => {
    const log = session.proc.lines.map((l) => JSON.stringify(l)).join('\n') + session.proc.stderr();
    for (const secret of secrets) {
      const signature = secret.split('.').pop()!;
      expect(signature.length).toBeGreaterThan(20);
      expect(log.includes(secret), `token ${secret.slice(0, 12)}… in the log`).toBe(false);
      expect(log.includes(signature), `signature ${signature.slice(0, 8)}… in the log`).toBe(false);
    }
  });
});

describe('redactUrl', () => {
  it('hides signed file tokens and credential-like query values, keeps the rest', () => {
    expect(redactUrl('/files/eyJhIjoxfQ.c2lnbmF0dXJl')).toBe('/files/<redacted>');
    expect(redactUrl('/files/eyJhIjoxfQ.c2ln?x=1')).toBe('/files/<redacted>?x=1');
    expect(redactUrl('/graphql?query=%7Bviewer%7D&variables=%7B%22token%22%3A1%7D')).toBe('/graphql?query=%7Bviewer%7D&variables=<redacted>');
    expect(redactUrl('/accept?token=abc&access_token=def&sig=1&name=x')).toBe('/accept?token=<redacted>&access_token=<redacted>&sig=<redacted>&name=x');
    expect(redactUrl('/healthz')).toBe('/healthz');
  });
});
