import { CliError } from './cli-error.js';
import type { CommandOutput } from './command.js';
import { HELP, parseCommandLine, type Invocation } from './command-line.js';

// `npm run -s tenant -- <command>`: placements and organizations from the command line, beside
// a running server (like the MikroORM CLI). Output on stdout (a table, or one JSON document with
// --json); a failure is one sentence on stderr and a non-zero exit code, never a stack. Commands
// are imported when run, so `--help` and a bad command line answer without loading the ORM.

async function run(invocation: Exclude<Invocation, { command: 'help' }>): Promise<CommandOutput> {
  switch (invocation.command) {
    case 'placements':
      return (await import('./placements.js')).placementsCommand();
    case 'placements create':
      return (await import('./placements-create.js')).placementsCreateCommand(invocation.name);
    case 'list':
      return (await import('./list.js')).listCommand();
    case 'create':
      return (await import('./create.js')).createCommand(invocation);
    case 'move':
      return (await import('./move.js')).moveCommand(invocation);
    case 'status':
      return (await import('./move.js')).statusCommand(invocation.organization);
    case 'erase':
      return (await import('./erase.js')).eraseCommand(invocation.organization, invocation.confirm);
    case 'purge-archive':
      return (await import('./move.js')).purgeArchiveCommand(invocation.organization);
    case 'verify':
      return (await import('./verify.js')).verifyCommand(invocation);
    case 'export':
      return (await import('./export.js')).exportCommand(invocation);
    case 'import':
      return (await import('./import.js')).importCommand(invocation);
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
    process.exitCode = output.exitCode ?? 0;
  }
} catch (err) {
  const { message, exitCode } =
    err instanceof CliError ? { message: err.message, exitCode: err.exitCode } : (await import('./explain-error.js')).explain(err, command);
  process.stderr.write(`${message}\n`);
  if (err instanceof CliError && err.withUsage) process.stderr.write(`\n${HELP}\n`);
  process.exitCode = exitCode;
}
