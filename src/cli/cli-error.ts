// Light on purpose (no database or ORM imports): `--help` and usage errors load only this and command-line.ts.

/** Exit code for a well-formed command that ran and failed (unreachable database, unknown owner, name taken, ...). */
export const EXIT_FAILURE = 1;
/** Exit code for a bad command line (no or unknown command, unknown or repeated option, missing, extra or malformed argument): nothing was run. */
export const EXIT_USAGE = 2;

/** A failure the command line explains in one sentence (`message`), with its exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    /** Print the usage text (HELP) on stderr after the sentence: the command line named no command at all. */
    readonly withUsage = false,
  ) {
    super(message);
  }
}

/** A bad command line: exit code 2, the sentence pointing at `--help` (or followed by the usage text with `withUsage`). */
export const usageError = (message: string, { withUsage = false } = {}) =>
  new CliError(withUsage ? message : `${message} Run \`npm run tenant -- --help\` for the commands.`, EXIT_USAGE, withUsage);

/** A driver's or library's message without URLs (they may hold a password) and on one line. */
export function withoutSecrets(message: string): string {
  return message.replace(/postgres(ql)?:\/\/\S+/g, '<url>').replace(/\s+/g, ' ').trim();
}
