import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { ROOT } from './project-copy.js';

// `npm run tenant -- <command>` as an operator runs it: the real entry point in a child process
// (what the package.json script runs), with only the environment a shell would give it.

const run = promisify(execFile);
const ENTRY = join(ROOT, 'src/cli/tenant.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command line with `args` and `env` (and a shell's PATH and HOME); never throws. */
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

/** The command failed as promised: `code`, nothing on stdout, one sentence on stderr and no stack. */
export function expectOneSentence(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).toMatch(/[.!?]$/);
  expect(result.stderr).not.toMatch(/\n\s+at |Error:/);
}

