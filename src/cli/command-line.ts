import { parseArgs } from 'node:util';
import { usageError } from './cli-error.js';

/** A command line, parsed: which command, its arguments, and whether to print JSON. */
export type Invocation =
  | { command: 'help' }
  | { command: 'placements'; json: boolean }
  | { command: 'placements create'; json: boolean; name: string }
  | { command: 'list'; json: boolean }
  | { command: 'create'; json: boolean; name: string; owner: string; placement: string; tier?: string }
  | { command: 'verify'; json: boolean; organization: string; against: string }
  | { command: 'export'; json: boolean; organization: string; out: string; includePasswordHashes: boolean }
  | { command: 'import'; json: boolean; file: string; to: string };

/** `--help`'s text: every command. */
export const HELP = `Usage: npm run -s tenant -- <command> [--json]

Commands:
  placements                      each placement: reachable, schema version, row-level security, organizations, rows
  placements create <name>        a new placement: database tenantql_<name> on the embedded server (embedded default only)
  list                            organizations: placement, tier, state, epoch, members and rows (counted on their placement)
  create <name> --owner <email> --placement <placement> [--tier <tier>]
                                  an organization on a placement, owned by an existing account
  verify <org> --against <placement>
                                  the organization's rows on its placement against its rows on another
                                  (per table: rows and content hash); exit code 1 when they differ
  export <org> --out <file> [--include-password-hashes]
                                  the organization in one archive (gzip of NDJSON): manifest and every row
  import <file> --to <placement>  an archive into this deployment, verified; refused when tampered or existing

<org> is an organization's id or slug.

Options:
  --json                          one JSON document on stdout instead of a table
  --help                          this text

Configuration comes from the environment and ./.env, as for npm start. Exit code 0 on success,
1 when a command fails, 2 for a bad command line; the reason is one sentence on stderr.`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  owner: { type: 'string' },
  placement: { type: 'string' },
  tier: { type: 'string' },
  against: { type: 'string' },
  out: { type: 'string' },
  to: { type: 'string' },
  'include-password-hashes': { type: 'boolean' },
} as const;

/** Parses `argv` (without node and the script). Throws a usage CliError (exit code 2) for anything it does not understand. */
export function parseCommandLine(argv: string[]): Invocation {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const option = /'(-[^']*)'/.exec(e.message ?? '')?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw usageError(`Unknown option ${option ?? ''}.`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw usageError(`Option ${option ?? ''} needs a value.`);
    throw usageError('The command line could not be read.');
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return { command: 'help' };
  const json = values.json === true;
  const [first, second, ...rest] = positionals;
  const only = (command: string, allowed: string[]) => {
    const extra = (['owner', 'placement', 'tier', 'against', 'out', 'to', 'include-password-hashes'] as const).filter((o) => values[o] !== undefined && !allowed.includes(o));
    if (extra.length > 0) throw usageError(`\`${command}\` takes no --${extra[0]} option.`);
  };
  if (first === 'placements' && second === undefined) return only('placements', []), { command: 'placements', json };
  if (first === 'placements' && second === 'create') {
    only('placements create', []);
    if (rest.length !== 1) throw usageError('`placements create` takes one placement name.');
    return { command: 'placements create', json, name: rest[0]! };
  }
  if (first === 'list' && second === undefined) return only('list', []), { command: 'list', json };
  if (first === 'create') {
    only('create', ['owner', 'placement', 'tier']);
    if (second === undefined || rest.length > 0) throw usageError('`create` takes one organization name (quote it if it has spaces).');
    if (!values.owner) throw usageError('`create` needs --owner <email>.');
    if (!values.placement) throw usageError('`create` needs --placement <name> (shared or a dedicated placement).');
    return { command: 'create', json, name: second, owner: values.owner, placement: values.placement, tier: values.tier };
  }
  if (first === 'verify') {
    only('verify', ['against']);
    if (second === undefined || rest.length > 0) throw usageError('`verify` takes one organization (its id or slug).');
    if (!values.against) throw usageError('`verify` needs --against <placement> (where the other copy is).');
    return { command: 'verify', json, organization: second, against: values.against };
  }
  if (first === 'export') {
    only('export', ['out', 'include-password-hashes']);
    if (second === undefined || rest.length > 0) throw usageError('`export` takes one organization (its id or slug).');
    if (!values.out) throw usageError('`export` needs --out <file>.');
    return { command: 'export', json, organization: second, out: values.out, includePasswordHashes: values['include-password-hashes'] === true };
  }
  if (first === 'import') {
    only('import', ['to']);
    if (second === undefined || rest.length > 0) throw usageError('`import` takes one archive file.');
    if (!values.to) throw usageError('`import` needs --to <placement> (shared or a dedicated placement).');
    return { command: 'import', json, file: second, to: values.to };
  }
  throw usageError(`Unknown command \`${positionals.join(' ')}\`.`);
}
