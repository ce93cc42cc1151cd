import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/project-copy.js';

// .ci/test-report.mjs decides whether CI is green from vitest's JSON report: a run that failed
// must never end on "M failed" with M = 0, nor exit 0.

const SCRIPT = join(ROOT, '.ci/test-report.mjs');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tenantql-ci-report-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the script on `report` (undefined: no file); its exit code and output lines. */
async function run(args: string[], report?: unknown): Promise<{ status: number | null; lines: string[] }> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  if (report !== undefined) await writeFile(file, typeof report === 'string' ? report : JSON.stringify(report));
  const r = spawnSync(process.execPath, [SCRIPT, args[0]!, file, ...args.slice(1)], { encoding: 'utf8' });
  return { status: r.status, lines: r.stdout.trim().split('\n') };
}

const file = (name: string, status: string, tests: string[] = []) => ({ name, status, message: status === 'failed' ? 'Error: boom\n at x' : '', assertionResults: tests.map((s) => ({ status: s })) });
const report = (over: Record<string, unknown>) => ({ numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, success: true, testResults: [], ...over });

describe('summary: the last line is "N passed, M failed"', () => {
  it('all passed: exit 0, skipped counted on the line before', async () => {
    const r = await run(['summary'], report({ numPassedTests: 12, numPendingTests: 2, testResults: [file('a', 'passed', ['passed'])] }));
    expect(r).toEqual({ status: 0, lines: ['2 skipped', '12 passed, 0 failed'] });
  });

  it('a failed test: exit 1', async () => {
    const r = await run(['summary'], report({ numPassedTests: 3, numFailedTests: 1, success: false, testResults: [file('a', 'failed', ['passed', 'failed'])] }));
    expect(r.status).toBe(1);
    expect(r.lines.at(-1)).toBe('3 passed, 1 failed');
  });

  it('a file that failed to load (no failed test in it) counts as a failure', async () => {
    const r = await run(['summary'], report({ numPassedTests: 5, success: false, testResults: [file('broken.test.ts', 'failed')] }));
    expect(r.status).toBe(1);
    expect(r.lines.at(-1)).toBe('5 passed, 1 failed');
    expect(r.lines.some((l) => l.includes('broken.test.ts: Error: boom'))).toBe(true);
  });

  it('success: false without any failure (an error outside the tests) counts as one', async () => {
    const r = await run(['summary'], report({ numPassedTests: 5, success: false }));
    expect(r.status).toBe(1);
    expect(r.lines.at(-1)).toBe('5 passed, 1 failed');
  });

  it('a missing or unreadable report is a failed run', async () => {
    for (const broken of [undefined, '{ not json']) {
      const r = await run(['summary'], broken);
      expect(r.status).toBe(1);
      expect(r.lines.at(-1)).toBe('0 passed, 1 failed');
    }
  });
});

describe('summary of several reports (the suite on Node 20, then on Node 22)', () => {
  /** Runs `summary` on one report file per entry (undefined: a file that does not exist). */
  async function summary(reports: unknown[]): Promise<{ status: number | null; lines: string[] }> {
    const files: string[] = [];
    for (const [i, r] of reports.entries()) {
      const path = join(dir, `several-${Math.random().toString(36).slice(2)}-${i}.json`);
      if (r !== undefined) await writeFile(path, typeof r === 'string' ? r : JSON.stringify(r));
      files.push(path);
    }
    const r = spawnSync(process.execPath, [SCRIPT, 'summary', ...files], { encoding: 'utf8' });
    return { status: r.status, lines: r.stdout.trim().split('\n') };
  }
  const green = (passed: number, skipped = 0) => report({ numPassedTests: passed, numPendingTests: skipped, testResults: [file('a', 'passed', ['passed'])] });

  it('sums them on the last line, each on a line of its own before it', async () => {
    const r = await summary([green(500, 2), green(499, 3)]);
    expect(r.status).toBe(0);
    expect(r.lines.at(-1)).toBe('999 passed, 0 failed');
    expect(r.lines.at(-2)).toBe('5 skipped');
    expect(r.lines.filter((l) => /\.json: \d+ passed, 0 failed, \d skipped$/.test(l))).toHaveLength(2);
  });

  it('one failed, missing or empty run fails the whole', async () => {
    const failing = report({ numPassedTests: 3, numFailedTests: 1, success: false, testResults: [file('a', 'failed', ['passed', 'failed'])] });
    const empty = report({ numPassedTests: 0 });
    for (const [second, last] of [[failing, '503 passed, 1 failed'], [undefined, '500 passed, 1 failed'], [empty, '500 passed, 1 failed']] as const) {
      const r = await summary([green(500), second]);
      expect(r.status, last).toBe(1);
      expect(r.lines.at(-1)).toBe(last);
    }
  });

  it('no report named at all is a failed run', async () => {
    const r = await summary([]);
    expect(r).toEqual({ status: 1, lines: ['no report named', '0 passed, 1 failed'] });
  });
});

describe('must-fail: the planted failure must fail the run', () => {
  const planted = report({ numPassedTests: 1, numFailedTests: 1, success: false });
  it('a non-zero exit and a report with the failure and the database check: ok', async () => {
    expect((await run(['must-fail', '1'], planted)).status).toBe(0);
  });

  it('refused when npm test exited 0, when the report lacks the failure or the database check, or is missing', async () => {
    const cases: [string, unknown][] = [
      ['0', planted],
      ['1', report({ numPassedTests: 1 })],
      ['1', report({ numFailedTests: 1, success: false })],
      ['1', undefined],
    ];
    for (const [exit, r] of cases) {
      const out = await run(['must-fail', exit], r);
      expect(out.status, JSON.stringify(r)).toBe(1);
      expect(out.lines.at(-1)).toMatch(/^must-fail check FAILED: .*a real failure could go unnoticed$/);
    }
  });
});
