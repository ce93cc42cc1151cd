/**
 * What a command produces: `data`, printed as one JSON document with `--json`, and `text()`, the
 * readable form (a table) printed otherwise. Failures are thrown (see cli-error.ts).
 */
export interface CommandOutput<T = unknown> {
  data: T;
  text(): string;
}
