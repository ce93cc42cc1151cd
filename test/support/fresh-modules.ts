import { vi } from 'vitest';

// Runs before each test file (vitest.config.ts, setupFiles). The suite shares one worker process
// between files (isolate: false) so that the heavy packages in node_modules (MikroORM, Apollo
// Server, the AWS and Azure SDKs...) load once per worker instead of once per file, which cost
// about 250 s of "import" time per run. Our own modules must still start fresh in each file, as
// they did in a process of their own: module-level state (caches, counters) must not leak from one
// file into the next. vi.resetModules() drops every module vitest evaluated itself (src/ and
// test/), not the packages Node loaded natively. What it leaves is vi.mock's registry: a file that
// mocks a module (sign-up.test.ts wraps hashPassword to count calls, calling the real one) leaves
// that wrapper to the files after it in the same worker, which then run the same real code.
vi.resetModules();
