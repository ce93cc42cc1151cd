import { listCommand } from './list.js';
import { createCommand } from './create.js';
import { explain } from './cli-error.js';
import type { CommandOutput } from './command.js';
import { HELP, parseCommandLine, type Invocation } from './command-line.js';
import { placementsCreateCommand } from './placements-create.js';
import { placementsCommand } from './placements.js';

// `npm run -s tenant -- <command>`: placements and organizations from the command line, beside
// a running server (like the MikroORM CLI). Output on stdout (a table, or one JSON document with
// --json); a failure is one sentence on stderr and a non-zero exit code, never a stack.

async function run(invocation: Exclude<Invocation, { command: 'help' }>): Promise<CommandOutput> {
  switch (invocation.command) {
    case 'placements':
      return placementsCommand();
    case 'placements create':
      return placementsCreateCommand(invocation.name);
    case 'list':
      return listCommand();
    case 'create':
      return createCommand(invocation);
  }
}

let command = 'command';
try {
  const invocation = parseCommandLine(process.argv.slice(2));
  if (invocation.command === 'help') {
    process.stdout.write(`${HELP}\n`);
  } else {
    command = invocation.command;
    const output = await run(invocation);
    process.stdout.write(`${invocation.json ? JSON.stringify(output.data, null, 2) : output.text()}\n`);
  }
} catch (err) {
  const { message, exitCode } = explain(err, command);
  process.stderr.write(`${message}\n`);
  process.exitCode = exitCode;
}
