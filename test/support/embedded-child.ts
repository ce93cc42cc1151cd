import { startEmbeddedPostgres } from '../../src/db/embedded.js';

// A process of its own around the embedded server, for test/embedded-postgres.test.ts: shows
// what the module does to a process's exit (run with `node --import tsx`).
//   argv: <dataDir> <port> set-exit-code | exit-while-running

const [dataDir, port, mode] = process.argv.slice(2);
const db = await startEmbeddedPostgres({ dataDir: dataDir!, port: Number(port), database: 'postgres' });
if (mode === 'set-exit-code') {
  // Ends by itself once nothing is left to do: the exit code must stay the one set here.
  await db.stop();
  process.exitCode = 7;
} else {
  process.exit(5); // without stop(): the module's 'exit' listener is the only one left to act
}
