import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './project-copy.js';

const run = promisify(execFile);
const ENTRY = join(ROOT, 'src/cli/tenant.ts');

/** What `npm run tenant` did: exit code and output. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run tenant -- <args>` as an operator runs it: the real entry point in a child process, with only the environment a shell would give it (plus `env`). */
export async function tenant(args: string[], env: Record<string, string>): Promise<CliResult> {
  const options = { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', ...env }, timeout: 30_000 };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', ENTRY, ...args], options);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
