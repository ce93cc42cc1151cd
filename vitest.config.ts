import { defineConfig } from 'vitest/config';

// TENANTQL_MUST_FAIL=1 runs only .ci/must-fail.test.ts, a test that fails on purpose, through the
// same global setup (embedded PostgreSQL) as the suite: .ci/run checks that it makes `npm test`
// exit non-zero and that the JSON report counts it, so "green" can be trusted.
const mustFail = process.env.TENANTQL_MUST_FAIL === '1';

export default defineConfig({
  // graphql 16 ships CJS and ESM copies; Node loads the CJS one for everybody, but Vite would
  // hand our imports the ESM copy and @graphql-tools the CJS one ("Duplicate graphql modules").
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: mustFail ? ['.ci/must-fail.test.ts'] : ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run side by side: tests isolate by tenant, each file has its own server.
    pool: 'forks',
    // A worker runs file after file in one process: node_modules load once per worker, not once
    // per file (that was about 250 s per run on 2 cores). Each file still gets fresh copies of our
    // own modules (test/support/fresh-modules.ts).
    isolate: false,
    setupFiles: ['test/support/fresh-modules.ts'],
    // TENANTQL_TEST_REPORT names the report: .ci/run runs the suite on Node 20 and 22 side by side.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: process.env.TENANTQL_TEST_REPORT ?? (mustFail ? 'test-results/must-fail.json' : 'test-results/vitest.json') }]]
      : ['default'],
  },
});
