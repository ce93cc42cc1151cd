// The rules for what an operator types to create an organization, without any database or ORM
// import: the command line checks them before it connects (a malformed value is a bad command
// line, exit code 2), createOrganizationOnPlacement again for any other caller.
import { isPlausibleEmail, normalizeEmail } from '../../auth/email.js';
import { isPlacementName, PLACEMENT_NAME } from './placement-name.js';
import { ANY_CONTROL } from '../../text-characters.js';

/** Sign-up's limit for an organization's name (organizationName: 1 to 100 characters). */
export const MAX_ORGANIZATION_NAME_LENGTH = 100;

/**
 * What is wrong with an organization's display name, in one sentence, or undefined when it is
 * fine. The name is taken trimmed (as stored); the rule is sign-up's organizationName: 1 to
 * MAX_ORGANIZATION_NAME_LENGTH characters, no control characters.
 */
export function organizationNameProblem(raw: string): string | undefined {
  const name = raw.trim();
  if (name.length === 0) return raw.length === 0 ? "The organization's name is empty." : "The organization's name is blank: it has only white space.";
  if (name.length > MAX_ORGANIZATION_NAME_LENGTH) return `The organization's name is ${name.length} characters long: at most ${MAX_ORGANIZATION_NAME_LENGTH}.`;
  if (ANY_CONTROL.test(name)) return "The organization's name contains a control character (a line break, tab, ...).";
  return undefined;
}

/**
 * What is wrong with a tier, or undefined. A tier is a label the operator chooses for the
 * organization's service level (`standard` by default, `enterprise`, ...): stored in the
 * directory and shown by `list`; no behaviour depends on it yet. Same rule as a placement name
 * (PLACEMENT_NAME, a CHECK in the placement migration).
 */
export function tierProblem(tier: string): string | undefined {
  return isPlacementName(tier) ? undefined : `The tier "${tier}" is not valid: it must match ${PLACEMENT_NAME} (lower case letters, digits, _; at most 31).`;
}

/** What is wrong with a placement's name (PLACEMENT_NAME), or undefined. Says nothing of whether it exists. */
export function placementNameProblem(name: string): string | undefined {
  return isPlacementName(name) ? undefined : `"${name}" is not a valid placement name: it must match ${PLACEMENT_NAME} (lower case letters, digits, _; at most 31).`;
}

/** What is wrong with an owner's email (isPlausibleEmail, once normalized), or undefined. Says nothing of whether an account has it. */
export function ownerEmailProblem(raw: string): string | undefined {
  return isPlausibleEmail(normalizeEmail(raw)) ? undefined : `"${raw}" is not an email address.`;
}
