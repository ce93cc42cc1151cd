/**
 * What a command produces: `data`, printed as one JSON document with `--json`, and `text()`, the
 * readable form (a table) printed otherwise. Failures are thrown (see cli-error.ts).
 */
export interface CommandOutput<T = unknown> {
  data: T;
  text(): string;
  /** The exit code when the command ran but found what it reports as a failure (verify: the copies differ); 0 when absent. */
  exitCode?: number;
}
