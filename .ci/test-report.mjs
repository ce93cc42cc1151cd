// Reads vitest's JSON report (reporter "json": numPassedTests, numFailedTests, numPendingTests,
// numTodoTests, success, testResults[].status and .assertionResults) for .ci/run.
//
//   node .ci/test-report.mjs must-fail <report> <npm test exit code>
//     The planted failure (.ci/must-fail.test.ts) must give a non-zero exit AND a report with at
//     least one failed test and one passed test (the passed one proves the database started).
//   node .ci/test-report.mjs summary <report> [<report> ...]
//     Prints notes, then as its LAST line exactly "N passed, M failed". Exits 1 when M > 0.
//     M counts failed tests, plus test files that failed without a failed test (they did not
//     load), plus 1 when vitest still reports success: false (an error outside any test), so the
//     line never says "0 failed" for a run that failed. A missing or unreadable report is a
//     failed run: "0 passed, 1 failed"; so is a report in which no test ran at all.
//     Several reports (the suite on Node 20 and again on Node 22) are summed, each first on a
//     line of its own ("<report>: N passed, M failed").
import { readFileSync } from 'node:fs';

const [command, file, exitCode] = process.argv.slice(2);

function read(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    console.log(`no readable test report at ${path} (${err.code ?? err.message})`);
    return undefined;
  }
}

function failures(r) {
  const unloaded = (r.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'));
  for (const f of unloaded) console.log(`failed without a failed test (did not load?): ${f.name}: ${String(f.message ?? '').split('\n')[0]}`);
  let failed = r.numFailedTests + unloaded.length;
  if (r.success === false && failed === 0) {
    console.log('vitest reported success: false without a failed test (an error outside the tests: see its output above)');
    failed = 1;
  }
  return failed;
}

if (command === 'must-fail') {
  const r = read(file);
  const problems = [];
  if (Number(exitCode) === 0) problems.push('npm test exited 0');
  if (!r) problems.push('no JSON report');
  else {
    if (!(r.numFailedTests >= 1)) problems.push(`the report counts ${r.numFailedTests} failed tests`);
    if (!(r.numPassedTests >= 1)) problems.push('the database check did not pass (did the global setup run?)');
  }
  if (problems.length) {
    console.log(`must-fail check FAILED: a test that fails on purpose did not fail the run as it must (${problems.join('; ')}): a real failure could go unnoticed`);
    process.exit(1);
  }
  console.log(`must-fail check: ok (npm test exited ${exitCode}; the report counts ${r.numFailedTests} failed, ${r.numPassedTests} passed)`);
} else if (command === 'summary') {
  const files = process.argv.slice(3);
  if (files.length === 0) console.log('no report named');
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const path of files) {
    const r = read(path);
    const counts = r ? { passed: r.numPassedTests, failed: failures(r), skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) } : { passed: 0, failed: 1, skipped: 0 };
    if (r && counts.passed + counts.failed === 0) {
      console.log(`${path}: no test ran`);
      counts.failed = 1;
    }
    if (files.length > 1) console.log(`${path}: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
    passed += counts.passed;
    failed += counts.failed;
    skipped += counts.skipped;
  }
  if (files.length === 0) failed = 1;
  if (skipped) console.log(`${skipped} skipped`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
} else {
  console.log(`usage: node .ci/test-report.mjs must-fail <report> <exit code> | summary <report> [<report> ...]`);
  process.exit(2);
}
