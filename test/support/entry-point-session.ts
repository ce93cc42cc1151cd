import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateDocumentDocument, RequestFileUploadDocument } from '../../src/client/generated/graphql.js';
import { TEST_JWT_SECRET } from './app.js';
import { createTestDatabase } from './database.js';
import { runEntryPoint, waitFor, type EntryPoint } from './faults-helpers.js';
import { sha256Hex } from './files-helpers.js';
import { gqlOk } from './graphql.js';
import { signUpAndConfirm } from './mail.js';
import { freePort } from './ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The real entry point (src/main.ts) on a fresh database, with one signed-up owner and one document of theirs. */
export interface EntryPointSession {
  proc: EntryPoint;
  base: string;
  graphqlUrl: string;
  outboxDir: string;
  /** The owner's access token (from confirmSignUp, as a person gets it). */
  token: string;
  documentId: string;
  /** Log lines and stderr's end, for assertion messages. */
  logTail(): string;
  /** SIGKILLs the process if it still runs, and removes its files. */
  cleanUp(): Promise<void>;
}

/** Starts src/main.ts (JSON log lines at `info` on stdout), env overriding the defaults here. */
export async function startEntryPointSession(env: Record<string, string> = {}): Promise<EntryPointSession> {
  const outboxDir = await mkdtemp(join(tmpdir(), 'tenantql-entry-'));
  const port = await freePort();
  const proc = runEntryPoint(ROOT, {
    MAIL_OUTBOX_DIR: outboxDir,
    STORAGE_LOCAL_DIR: join(outboxDir, 'files'),
    DATABASE_URL: await createTestDatabase(),
    HOST: '127.0.0.1',
    PORT: String(port),
    NODE_ENV: 'test',
    DEPLOYMENT_MODE: 'multi_tenant',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    SEED_DEMO_DATA: 'false',
    RATE_LIMIT_ENABLED: 'false',
    ...env,
  });
  const logTail = () => `\nlog: ${proc.lines.slice(-12).map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${proc.stderr().slice(-2000)}`;
  const cleanUp = async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await rm(outboxDir, { recursive: true, force: true });
  };
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the entry point to listen', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 30_000, 100).catch((err) => {
      throw new Error(`${String(err)}${logTail()}`);
    });
    const app = { graphqlUrl: `${base}/graphql`, outboxDir };
    const email = `entry-${randomBytes(4).toString('hex')}@example.test`;
    const { accessToken: token } = await signUpAndConfirm(app, { email, password: 'entry point password 123', name: 'Entry Point', organizationName: 'Entry Org' });
    const { createDocument } = await gqlOk(app, CreateDocumentDocument, { input: { title: 'Entry doc', body: 'b' } }, { token });
    return { proc, base, graphqlUrl: app.graphqlUrl, outboxDir, token, documentId: createDocument.id, logTail, cleanUp };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** requestFileUpload of `bytes` (text/plain) on the session's document: the signed PUT URL and its headers. */
export async function requestUploadOf(session: EntryPointSession, bytes: string | Uint8Array) {
  const input = { documentId: session.documentId, filename: 'notes.txt', contentType: 'text/plain', byteSize: Buffer.byteLength(bytes), sha256: sha256Hex(bytes) };
  return (await gqlOk(session, RequestFileUploadDocument, { input }, { token: session.token })).requestFileUpload;
}
