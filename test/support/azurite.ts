import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AZURITE_ACCOUNT } from '../../src/config/storage-azure.js';

/** A running Azurite Blob service: its endpoint for the well-known dev account, and how to stop it. */
export interface Azurite {
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  endpoint: string;
  /** The STORAGE_AZURE_* variables that point the API at `container` on this Azurite. */
  env(container: string): Record<string, string>;
  /** A client with the account key, for creating containers and checking what is stored. */
  service: BlobServiceClient;
  stop(): Promise<void>;
}

const READY = /successfully listens on (http:\/\/\S+)/;

/**
 * Starts Azurite's Blob service (npm `azurite`, pinned) on a port the OS picks (`--blobPort 0`),
 * keeping blobs in memory (nothing on disk, capped at 64 MB). It checks shared-key and SAS
 * signatures as Azure does. `--skipApiVersionCheck`: @azure/storage-blob 12.32.0 sends an API
 * version newer than Azurite 3.35.0 knows, and Azurite refuses those by default.
 */
export async function startAzurite(): Promise<Azurite> {
  const main = join(dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist/src/blob/main.js');
  const args = ['--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--extentMemoryLimit', '64', '--skipApiVersionCheck', '--disableTelemetry', '--silent'];
  const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const base = await listening(child);
  const endpoint = `${base}/${AZURITE_ACCOUNT.accountName}`;
  const service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT.accountName, AZURITE_ACCOUNT.accountKey));
  return {
    endpoint,
    env: (container) => ({
      STORAGE_PROVIDER: 'azure',
      STORAGE_AZURE_CONTAINER: container,
      STORAGE_AZURE_ACCOUNT_NAME: AZURITE_ACCOUNT.accountName,
      STORAGE_AZURE_ACCOUNT_KEY: AZURITE_ACCOUNT.accountKey,
      STORAGE_AZURE_ENDPOINT: endpoint,
    }),
    service,
    stop: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The base URL Azurite prints once it listens; rejects with its output if it exits or takes over 30 s. */
function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = READY.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}) before listening:\n${output}`));
    });
  });
}
