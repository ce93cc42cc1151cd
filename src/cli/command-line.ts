import { parseArgs } from 'node:util';
import { organizationNameProblem, ownerEmailProblem, placementNameProblem, tierProblem } from '../tenancy/placement/organization-fields.js';
import { MOVE_STEPS, type MoveStep } from '../tenancy/mobility/move-journal.js';
import { usageError } from './cli-error.js';

/** A command line, parsed: which command, its arguments, and whether to print JSON. */
export type Invocation =
  | { command: 'help' }
  | { command: 'placements'; json: boolean }
  | { command: 'placements create'; json: boolean; name: string }
  | { command: 'list'; json: boolean }
  | { command: 'create'; json: boolean; name: string; owner: string; placement: string; tier?: string }
  | { command: 'move'; json: boolean; organization: string; to?: string; abort: boolean; mechanism?: 'paused_copy'; stopAfter?: MoveStep }
  | { command: 'status'; json: boolean; organization: string }
  | { command: 'purge-archive'; json: boolean; organization: string }
  | { command: 'erase'; json: boolean; organization: string; confirm: string }
  | { command: 'verify'; json: boolean; organization: string; against: string }
  | { command: 'export'; json: boolean; organization: string; out: string; includePasswordHashes: boolean; force: boolean }
  | { command: 'import'; json: boolean; file: string; to: string };

/** `--help`'s text: every command, what a tier is, and the exit codes. */
export const HELP = `Usage: npm run -s tenant -- <command> [--json]

Commands:
  placements                      each placement: reachable, schema version, row-level security, organizations, rows
  placements create <name>        a new placement: database tenantql_<name> on the embedded server (embedded default only)
  list                            organizations: placement, tier, state, epoch, members and rows (counted on their placement)
  create <name> --owner <email> --placement <placement> [--tier <tier>]
                                  an organization on a placement, owned by an existing account
  move <org> --to <placement>     moves an organization (id or slug) to another placement while it works,
                                  or finishes its unfinished move; --abort rolls an unfinished move back;
                                  --paused-copy copies under a write pause even where logical replication works;
                                  --stop-after <step> (for testing) stops it after a step, as a crash there would
  status <org>                    where the organization's latest move stands
  erase <org> --confirm <slug>    erases the organization everywhere (GDPR): its rows on every placement, its
                                  members who belong to no other organization; leaves a tombstone
  purge-archive <org>             deletes what moves left of the organization on placements that no longer
                                  serve it (in batches of 5,000 rows)
  verify <org> --against <placement>
                                  the organization's rows on its placement against its rows on another
                                  (per table: rows and content hash); exit code 1 when they differ
  export <org> --out <file> [--include-password-hashes] [--force]
                                  the organization in one archive (gzip of NDJSON): manifest, every row and
                                  its files' bytes; refused when <file> exists, unless --force replaces it
  import <file> --to <placement>  an archive into this deployment, verified; refused when tampered or existing

<org> is an organization's id or slug.

Options:
  --json                          one JSON document on stdout instead of a table
  --help                          this text
  --tier <tier>                   a label you choose for the organization's service level (default standard;
                                  lower case letters, digits, _): stored in the directory and shown by list,
                                  no behaviour depends on it yet

Configuration comes from the environment and ./.env, as for npm start. Exit codes: 0 on success;
2 for a bad command line, and nothing was run: no command or an unknown one, an unknown option or
one given twice, a missing or extra argument, a malformed value (placement name, tier, email,
organization name); 1 when a well-formed command failed (unknown owner or placement, name taken,
database unreachable). The reason is one sentence on stderr.`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  owner: { type: 'string' },
  placement: { type: 'string' },
  tier: { type: 'string' },
  abort: { type: 'boolean' },
  'paused-copy': { type: 'boolean' },
  confirm: { type: 'string' },
  'stop-after': { type: 'string' },
  against: { type: 'string' },
  out: { type: 'string' },
  to: { type: 'string' },
  'include-password-hashes': { type: 'boolean' },
  force: { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** The options only some commands take; `--json` and `--help` go with every command. */
const COMMAND_OPTIONS = ['owner', 'placement', 'tier', 'to', 'abort', 'paused-copy', 'confirm', 'stop-after', 'against', 'out', 'include-password-hashes', 'force'] as const;

/**
 * Parses `argv` (without node and the script). Throws a usage CliError (exit code 2) for
 * anything that makes it a bad command line, checked before anything runs: no command, an
 * unknown command or option, an option given twice, an option the command does not take, a
 * missing or extra argument, or a value that breaks its rule (organization-fields.ts), since
 * those need no database to be known wrong. `--help` anywhere asks for the help text.
 */
export function parseCommandLine(argv: string[]): Invocation {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    // Node's messages quote the option, a string option as '--owner <value>'.
    const option = /'(-[^' ]*)/.exec(e.message ?? '')?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw usageError(`Unknown option ${option}.`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /does not take an argument/.test(e.message ?? '')) throw usageError(`Option ${option} takes no value.`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw usageError(`Option ${option} needs a value.`);
    throw usageError('The command line could not be read.');
  }
  const { values, positionals, tokens } = parsed;
  // parseArgs keeps the last of a repeated option; which one the operator meant is a guess, so none is taken.
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) throw usageError(`Option --${token.name} is given more than once.`);
    seen.add(token.name);
  }
  if (values.help) return { command: 'help' };
  if (positionals.length === 0) throw usageError('No command given.', { withUsage: true });
  const json = values.json === true;
  const [first, second, ...rest] = positionals;
  const only = (command: string, allowed: OptionName[]) => {
    const extra = COMMAND_OPTIONS.filter((o) => values[o] !== undefined && !allowed.includes(o));
    if (extra.length > 0) throw usageError(`\`${command}\` takes no --${extra[0]} option.`);
  };
  const valid = (problem: string | undefined) => {
    if (problem) throw usageError(problem);
  };
  /** Refuses arguments after those `command` takes, naming the first: `list extra` is `list` with one too many, not an unknown command. */
  const noMore = (command: string, extra: (string | undefined)[], takes: string) => {
    const first = extra.find((a) => a !== undefined);
    if (first !== undefined) throw usageError(`\`${command}\` takes ${takes}: unexpected argument \`${first}\`.`);
  };
  if (first === 'placements' && second !== 'create') {
    only('placements', []);
    noMore('placements', [second, ...rest], 'no argument (or `create <name>`)');
    return { command: 'placements', json };
  }
  if (first === 'placements' && second === 'create') {
    only('placements create', []);
    if (rest.length === 0) throw usageError('`placements create` takes one placement name.');
    noMore('placements create', rest.slice(1), 'one placement name');
    valid(placementNameProblem(rest[0]!));
    return { command: 'placements create', json, name: rest[0]! };
  }
  if (first === 'list') {
    only('list', []);
    noMore('list', [second, ...rest], 'no argument');
    return { command: 'list', json };
  }
  if (first === 'create') {
    only('create', ['owner', 'placement', 'tier']);
    if (second === undefined) throw usageError('`create` takes one organization name (quote it if it has spaces).');
    noMore('create', rest, 'one organization name (quote it if it has spaces)');
    if (values.owner === undefined) throw usageError('`create` needs --owner <email>.');
    if (values.placement === undefined) throw usageError('`create` needs --placement <name> (shared or a dedicated placement).');
    valid(organizationNameProblem(second));
    valid(ownerEmailProblem(values.owner));
    valid(placementNameProblem(values.placement));
    if (values.tier !== undefined) valid(tierProblem(values.tier));
    return { command: 'create', json, name: second, owner: values.owner, placement: values.placement, tier: values.tier };
  }
  if (first === 'move') {
    only('move', ['to', 'abort', 'paused-copy', 'stop-after']);
    if (second === undefined) throw usageError('`move` takes one organization (its id or slug).');
    noMore('move', rest, 'one organization (its id or slug)');
    const abort = values.abort === true;
    if (abort && (values.to !== undefined || values['paused-copy'])) throw usageError('`move --abort` takes no --to or --paused-copy: it rolls back the unfinished move.');
    if (!abort && values.to === undefined) throw usageError('`move` needs --to <placement> (or --abort).');
    if (values.to !== undefined) valid(placementNameProblem(values.to));
    const stopAfter = values['stop-after'] as MoveStep | undefined;
    if (stopAfter !== undefined && !MOVE_STEPS.includes(stopAfter)) throw usageError(`--stop-after takes a step: ${MOVE_STEPS.join(', ')}.`);
    return { command: 'move', json, organization: second, to: values.to, abort, mechanism: values['paused-copy'] ? 'paused_copy' : undefined, stopAfter };
  }
  if (first === 'erase') {
    only('erase', ['confirm']);
    if (second === undefined) throw usageError('`erase` takes one organization (its id or slug).');
    noMore('erase', rest, 'one organization (its id or slug)');
    if (values.confirm === undefined) throw usageError('`erase` needs --confirm <the organization\'s slug>: erasure cannot be undone.');
    return { command: 'erase', json, organization: second, confirm: values.confirm };
  }
  if (first === 'status' || first === 'purge-archive') {
    only(first, []);
    if (second === undefined) throw usageError(`\`${first}\` takes one organization (its id or slug).`);
    noMore(first, rest, 'one organization (its id or slug)');
    return { command: first, json, organization: second };
  }
  if (first === 'verify') {
    only('verify', ['against']);
    if (second === undefined) throw usageError('`verify` takes one organization (its id or slug).');
    noMore('verify', rest, 'one organization (its id or slug)');
    if (!values.against) throw usageError('`verify` needs --against <placement> (where the other copy is).');
    return { command: 'verify', json, organization: second, against: values.against };
  }
  if (first === 'export') {
    only('export', ['out', 'include-password-hashes', 'force']);
    if (second === undefined) throw usageError('`export` takes one organization (its id or slug).');
    noMore('export', rest, 'one organization (its id or slug)');
    if (!values.out) throw usageError('`export` needs --out <file>.');
    return { command: 'export', json, organization: second, out: values.out, includePasswordHashes: values['include-password-hashes'] === true, force: values.force === true };
  }
  if (first === 'import') {
    only('import', ['to']);
    if (second === undefined) throw usageError('`import` takes one archive file.');
    noMore('import', rest, 'one archive file');
    if (!values.to) throw usageError('`import` needs --to <placement> (shared or a dedicated placement).');
    return { command: 'import', json, file: second, to: values.to };
  }
  throw usageError(`Unknown command \`${positionals.join(' ')}\`.`);
}
