import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, inject } from 'vitest';
import { ROOT } from './project-copy.js';

// `npm run tenant -- <command>` as an operator runs it: the real entry point in a child process,
// with only the environment a shell would give it. By default the entry point compiled once for
// the run (test/support/cli-build.ts: the same sources, without tsx's start-up in every child);
// `{ via: 'tsx' }` runs exactly what the package.json script runs, `node --import tsx src/cli/tenant.ts`.

const run = promisify(execFile);
const ENTRY = join(ROOT, 'src/cli/tenant.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the command line with `args` and `env` (and a shell's PATH and HOME), in the project's
 * directory; never throws. `via`: `compiled` (the default) or `tsx`, the package.json script's way.
 */
export async function tenant(args: string[], env: Record<string, string>, { via = 'compiled' }: { via?: 'compiled' | 'tsx' } = {}): Promise<CliResult> {
  const options = { cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', ...env }, timeout: 30_000 };
  const entry = via === 'tsx' ? ['--import', 'tsx', ENTRY] : [inject('tenantCli')];
  try {
    const { stdout, stderr } = await run(process.execPath, [...entry, ...args], options);
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

