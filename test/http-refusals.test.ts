import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './support/app.js';
import { createOrg } from './support/factories.js';
import { requestUpload } from './support/files-helpers.js';

// Answers given before any route runs keep the API's error shape (src/http-refusals.ts): an
// unknown route or method, and requests Node's HTTP parser refuses. Found by a new-user trial:
// Fastify's defaults had no `code` and echoed a signed URL back.

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app?.close());

/** Sends `raw` bytes on one connection; the status and the parsed JSON body of the answer. */
function rawRequest(raw: string): Promise<{ status: number; body: { errors: { message: string; extensions: { code: string } }[] } }> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(raw));
    let answer = '';
    socket.setEncoding('utf8').on('data', (c: string) => (answer += c));
    socket.on('error', () => undefined); // the server closes the connection after its answer
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      try {
        resolve({ status, body: JSON.parse(body) });
      } catch {
        reject(new Error(`not JSON: ${answer.slice(0, 300)}`));
      }
    });
  });
}

describe('refusals before any route', () => {
  it('an unknown route or a signed file URL with another method: 404 NOT_FOUND, the path not echoed', async () => {
    const org = await createOrg(app, { documents: 1 });
    const upload = await requestUpload(app, org.owner.token, org.documents[0]!.id, 'x');
    const token = new URL(upload.uploadUrl).pathname.split('/').pop()!;
    for (const [method, url] of [['DELETE', upload.uploadUrl], ['POST', upload.uploadUrl], ['GET', `${app.url}/no-such-route`]] as const) {
      const res = await fetch(url, { method });
      const text = await res.text();
      expect([res.status, (JSON.parse(text) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code]).toEqual([404, 'NOT_FOUND']);
      expect(text).not.toContain(token);
      expect(text).not.toContain('no-such-route');
    }
  });

  it('headers past the limit: 431 REQUEST_HEADER_FIELDS_TOO_LARGE', async () => {
    const res = await rawRequest(`POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(100_000)}\r\nContent-Length: 2\r\n\r\n{}`);
    expect([res.status, res.body.errors[0]!.extensions.code]).toEqual([431, 'REQUEST_HEADER_FIELDS_TOO_LARGE']);
  });

  it('a request that is not HTTP: 400 BAD_REQUEST', async () => {
    const res = await rawRequest('NOT HTTP AT ALL\r\n\r\n');
    expect([res.status, res.body.errors[0]!.extensions.code]).toEqual([400, 'BAD_REQUEST']);
    expect(JSON.stringify(res.body)).not.toMatch(/HPE_|stack/);
  });
});
