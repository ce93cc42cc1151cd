// Light on purpose (no database or ORM imports): `--help` and usage errors load only this and command-line.ts.

/** Exit code for a command that ran and failed (unreachable database, unknown owner, ...). */
export const EXIT_FAILURE = 1;
/** Exit code for a command line that names no valid command or options (nothing was run). */
export const EXIT_USAGE = 2;

/** A failure the command line explains in one sentence (`message`), with its exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** A bad command line: unknown command or option, missing or extra argument. Exit code 2. */
export const usageError = (message: string) => new CliError(`${message} Run \`npm run tenant -- --help\` for the commands.`, EXIT_USAGE);

/** A driver's or library's message without URLs (they may hold a password) and on one line. */
export function withoutSecrets(message: string): string {
  return message.replace(/postgres(ql)?:\/\/\S+/g, '<url>').replace(/\s+/g, ' ').trim();
}
