import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/database.js';
import { runEntryPoint, type EntryPoint } from './support/faults-helpers.js';
import { freePort } from './support/ports.js';
import { ROOT } from './support/project-copy.js';

// What an operator sees when the real entry point (src/main.ts) cannot start for a reason they
// can fix: one `start-up failed: <sentence>` line, no stack trace, exit code 1 (README, "Quick
// start"). Each case is one of a kind: the store (S3, Azure) and the listening port.

let home: string;
let closedPort: number;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'tenantql-home-')); // no ~/.aws here
  closedPort = await freePort();
});
afterAll(() => rm(home, { recursive: true, force: true }));

/** Runs main.ts with `env` to its exit; its fatal lines and the rest. */
async function refusedStart(env: Record<string, string>): Promise<{ proc: EntryPoint; fatal: Record<string, unknown>[] }> {
  const proc = runEntryPoint(ROOT, { NODE_ENV: 'development', LOG_LEVEL: 'info', HOME: home, PORT: String(await freePort()), ...env });
  const { code } = await proc.exited;
  expect(code, JSON.stringify(proc.lines.slice(-5))).toBe(1);
  // Node 20 prints the AWS SDK's own NodeVersionSupportWarning (README); never a stack.
  expect(proc.stderr()).not.toMatch(/\n\s+at |Error:/);
  return { proc, fatal: proc.lines.filter((l) => l.level === 60) };
}

function expectOneSentence(fatal: Record<string, unknown>[], pattern: RegExp): void {
  expect(fatal).toEqual([expect.objectContaining({ msg: expect.stringMatching(pattern) })]);
  expect(fatal[0]).not.toHaveProperty('err');
  expect(JSON.stringify(fatal[0])).not.toMatch(/\\n\s+at |node_modules|\.ts:\d+/);
}

describe('a start-up the operator can fix is one sentence, no stack, exit 1', () => {
  it('aws_s3 without credentials: refused before any database work (the database here is unreachable)', async () => {
    const { proc, fatal } = await refusedStart({
      STORAGE_PROVIDER: 'aws_s3',
      STORAGE_S3_BUCKET: 'tenantql-files',
      STORAGE_S3_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${closedPort}/nowhere`,
    });
    expectOneSentence(fatal, /^start-up failed: STORAGE_PROVIDER=aws_s3: the AWS SDK found no credentials \(set AWS_ACCESS_KEY_ID/);
    expect(JSON.stringify(proc.lines)).not.toMatch(/ECONNREFUSED|migrat/i);
  }, 60_000);

  it('azure with an endpoint that does not answer', async () => {
    const { fatal } = await refusedStart({
      STORAGE_PROVIDER: 'azure',
      STORAGE_AZURE_CONTAINER: 'files',
      STORAGE_AZURE_ACCOUNT_NAME: 'devstoreaccount1',
      STORAGE_AZURE_ACCOUNT_KEY: Buffer.from('k'.repeat(64)).toString('base64'),
      STORAGE_AZURE_ENDPOINT: `http://127.0.0.1:${closedPort}/devstoreaccount1`,
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${closedPort}/nowhere`,
    });
    expectOneSentence(fatal, /^start-up failed: Azure Blob container "files" at .* could not be reached \(.*\): check the endpoint and the network\.$/);
  }, 60_000);

  it('PORT taken by another program', async () => {
    const blocker: Server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const { fatal } = await refusedStart({ HOST: '127.0.0.1', PORT: String(taken), DATABASE_URL: await createTestDatabase() });
      expectOneSentence(fatal, new RegExp(`^start-up failed: 127\\.0\\.0\\.1:${taken} is already in use by another program: stop it, or set PORT`));
    } finally {
      blocker.close();
    }
  }, 120_000);
});
