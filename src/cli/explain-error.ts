import { ConfigError } from '../config/index.js';
import { PlacementCreationError } from '../db/create-embedded-placement.js';
import { EmbeddedDatabaseError } from '../db/embedded.js';
import { ArchiveFormatError } from '../tenancy/mobility/archive-format.js';
import { MobilityError } from '../tenancy/mobility/mobility-errors.js';
import { OrganizationCreationError } from '../tenancy/placement/create-organization.js';
import { isConnectionFailure, PlacementUnavailableError } from '../tenancy/placement/placement-errors.js';
import { CliError, EXIT_FAILURE, withoutSecrets } from './cli-error.js';

/** Ends a sentence with a full stop unless it already ends with punctuation. */
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

/**
 * The one sentence (and exit code) an error becomes on stderr: never a stack, never a URL.
 * Known errors carry their own sentence; a connection failure says which database could not be
 * reached; anything else is "<command> failed: <message>".
 */
export function explain(err: unknown, command: string): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: sentence(err.message), exitCode: err.exitCode };
  if (err instanceof ConfigError) return { message: sentence(`Invalid configuration: ${err.problems.join('; ')}`), exitCode: EXIT_FAILURE };
  if (err instanceof EmbeddedDatabaseError || err instanceof OrganizationCreationError || err instanceof PlacementCreationError || err instanceof MobilityError || err instanceof ArchiveFormatError) {
    return { message: sentence(withoutSecrets(err.message)), exitCode: EXIT_FAILURE };
  }
  if (err instanceof PlacementUnavailableError) {
    return { message: sentence(`Placement ${err.placement} is unavailable: ${withoutSecrets(err.reason)}`), exitCode: EXIT_FAILURE };
  }
  const e = err as { code?: string; message?: string; path?: string } | null;
  if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'EISDIR') return { message: sentence(`Cannot use the file ${e.path ?? ''} (${e.code})`), exitCode: EXIT_FAILURE };
  const detail = withoutSecrets([e?.code, e?.message].filter(Boolean).join(': ') || String(err));
  if (isConnectionFailure(err)) return { message: sentence(`Cannot reach the database (${detail}): is it running, and is its URL right?`), exitCode: EXIT_FAILURE };
  return { message: sentence(`tenant ${command} failed: ${detail}`), exitCode: EXIT_FAILURE };
}
