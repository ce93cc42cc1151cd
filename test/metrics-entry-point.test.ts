import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MeDocument } from '../src/client/generated/graphql.js';
import { TEST_JWT_SECRET } from './support/app.js';
import { createTestDatabase } from './support/database.js';
import { runEntryPoint, waitFor } from './support/faults-helpers.js';
import { freePort } from './support/ports.js';
import { ROOT } from './support/project-copy.js';
import { idOf } from './support/trusted-documents.js';

// The real entry point starts the metrics listener beside the API when METRICS_PORT is set, and
// its graceful shutdown (SIGTERM) closes both.
describe('the entry point (src/main.ts)', () => {
  it('starts the metrics listener on METRICS_PORT beside the API, and SIGTERM stops both', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const proc = runEntryPoint(ROOT, {
      DATABASE_URL: await createTestDatabase(),
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      SEED_DEMO_DATA: 'false',
    });
    const tail = () => `\nlog: ${proc.lines.slice(-8).map((l) => l.msg).join(' | ')}\nstderr: ${proc.stderr().slice(-2000)}`;
    try {
      await waitFor('the entry point to listen', async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok ? true : undefined), 30_000, 100).catch((err) => {
        throw new Error(`${String(err)}${tail()}`);
      });
      expect(proc.lines.some((l) => l.msg === `metrics: GET http://127.0.0.1:${metricsPort}/metrics`), tail()).toBe(true);
      await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documentId: idOf(MeDocument) }) });
      const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      const text = await scrape.text();
      expect(scrape.status).toBe(200);
      expect(text).toMatch(/^tenantql_graphql_requests_total\{operation="Me",outcome="client_error"\} 1$/m);
      expect(text).toMatch(/^tenantql_db_pool_connections_max 10$/m);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);

      proc.child.kill('SIGTERM');
      const exit = await proc.exited;
      expect(exit.code, tail()).toBe(0);
      for (const p of [port, metricsPort]) await expect(fetch(`http://127.0.0.1:${p}/healthz`)).rejects.toThrow();
    } finally {
      if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    }
  });

  it('stops when the shell npm start runs it under is gone (a SIGTERM to npm is not passed on by dash)', async () => {
    const port = await freePort();
    const env = { ...process.env, DATABASE_URL: await createTestDatabase(), HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', SEED_DEMO_DATA: 'false' };
    // What `npm start` runs: sh -c "<script>"; the shell, like npm, ends on SIGTERM without telling node.
    const shell = spawn('/bin/sh', ['-c', 'node --import tsx src/main.ts; true'], { cwd: ROOT, env, stdio: 'ignore' });
    const healthy = async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok ?? false;
    try {
      await waitFor('the entry point to listen', async () => ((await healthy()) ? true : undefined), 30_000, 100);
      shell.kill('SIGTERM');
      await waitFor('the orphaned entry point to stop', async () => ((await healthy()) ? undefined : true), 10_000, 100);
    } finally {
      if (shell.exitCode === null) shell.kill('SIGKILL');
    }
  });
});
