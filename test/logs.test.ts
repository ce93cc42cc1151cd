import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from './support/app.js';
import { createTestDatabase } from './support/database.js';
import { runEntryPoint } from './support/faults-helpers.js';
import { freePort } from './support/ports.js';
import { copyProject, ROOT } from './support/project-copy.js';

// The log format of the real entry point: pino-pretty lines for a developer at a terminal, JSON
// lines for production and for anything that reads the output. A terminal is made with
// util-linux `script` (a pseudo-terminal around the command).

const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;
const READY = /tenantql \(multi_tenant\) ready/;
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');

function isJsonLogLine(line: string): boolean {
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    return typeof value.level === 'number' && typeof value.msg === 'string';
  } catch {
    return false;
  }
}

/** The entry point under a pseudo-terminal until it says it is ready (or exits); then stopped. Its output, plain text. */
async function runOnTerminal(root: string, env: Record<string, string>): Promise<{ output: string; exitedEarly: boolean }> {
  const command = `exec ${process.execPath} --import tsx src/main.ts`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', SHELL: '/bin/sh', TERM: 'xterm', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  let exitedEarly = true;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const ready = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (READY.test(plain(output))) {
        exitedEarly = false;
        clearInterval(check);
        resolve();
      }
    }, 50);
    void exited.then(() => (clearInterval(check), resolve()));
  });
  const deadline = setTimeout(() => child.kill('SIGKILL'), 40_000);
  await ready;
  // Stopped directly (script would print its own "Session terminated" line): script's only child is the server.
  const children = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => '');
  for (const pid of children.trim().split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGTERM');
  await exited;
  clearTimeout(deadline);
  return { output: plain(output), exitedEarly };
}

const logLines = (output: string) => output.split('\n').filter((l) => l.trim() !== '');

describe.skipIf(!hasScript)('log format of the entry point (skipped without util-linux script)', () => {
  let env: Record<string, string>;
  let withoutPretty: string;
  beforeAll(async () => {
    env = {
      DATABASE_URL: await createTestDatabase(),
      HOST: '127.0.0.1',
      DEPLOYMENT_MODE: 'multi_tenant',
      SEED_DEMO_DATA: 'false',
      LOG_LEVEL: 'info',
    };
    withoutPretty = await mkdtemp(join(tmpdir(), 'tenantql-no-pretty-'));
    // As `npm ci --omit=dev` leaves it: pino-pretty is a devDependency.
    await copyProject(withoutPretty, { without: ['pino-pretty'] });
  });
  afterAll(() => rm(withoutPretty, { recursive: true, force: true }));

  it('development on a terminal: readable lines, no JSON', async () => {
    const { output, exitedEarly } = await runOnTerminal(ROOT, { ...env, NODE_ENV: 'development', PORT: String(await freePort()) });
    expect(exitedEarly, output).toBe(false);
    const lines = logLines(output);
    expect(lines.filter(isJsonLogLine), output).toEqual([]);
    expect(lines.some((l) => /^\[\d\d:\d\d:\d\d\] INFO: tenantql \(multi_tenant\) ready/.test(l)), output).toBe(true);
  });

  it('production on a terminal: JSON lines', async () => {
    const { output, exitedEarly } = await runOnTerminal(ROOT, { ...env, NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, PORT: String(await freePort()) });
    expect(exitedEarly, output).toBe(false);
    const lines = logLines(output);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.filter((l) => !isJsonLogLine(l)), output).toEqual([]);
  });

  it('development with the output going to a pipe (not a terminal): JSON lines', async () => {
    const proc = runEntryPoint(ROOT, { ...env, NODE_ENV: 'development', PORT: String(await freePort()) });
    const start = Date.now();
    while (!proc.lines.some((l) => READY.test(String(l.msg))) && Date.now() - start < 40_000 && proc.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    proc.child.kill('SIGTERM');
    await proc.exited;
    expect(proc.lines.some((l) => READY.test(String(l.msg))), proc.stderr()).toBe(true);
    expect(proc.lines.filter((l) => typeof l.level !== 'number')).toEqual([]);
  });

  it('development on a terminal without pino-pretty installed (npm ci --omit=dev): starts, with JSON lines', async () => {
    const { output, exitedEarly } = await runOnTerminal(withoutPretty, { ...env, NODE_ENV: 'development', PORT: String(await freePort()) });
    expect(exitedEarly, output).toBe(false);
    const lines = logLines(output);
    expect(lines.filter((l) => !isJsonLogLine(l)), output).toEqual([]);
  });
});
