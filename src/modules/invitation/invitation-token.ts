import { isSecret, newSecret } from '../../auth/one-time-token.js';
import { isUuid } from '../../tenancy/organization-id.js';

/**
 * An invitation token is `<organization id>.<secret>`: it names the organization, so that
 * acceptance can run in that organization's tenant session (row-level security on) without a
 * cross-organization lookup, and carries a secret of 256 bits of which only the hash is stored
 * (src/auth/one-time-token.ts). A forged organization id finds nothing, like an unknown secret.
 */
export interface InvitationToken {
  organizationId: string;
  secret: string;
}

export function newInvitationToken(organizationId: string): { token: string; secret: string } {
  const secret = newSecret();
  return { token: `${organizationId}.${secret}`, secret };
}

/** The parts of a well-formed token, or null (then nothing is looked up). */
export function parseInvitationToken(token: string): InvitationToken | null {
  const [organizationId, secret, ...rest] = token.split('.');
  if (rest.length > 0 || !organizationId || !secret || !isUuid(organizationId) || !isSecret(secret)) return null;
  return { organizationId: organizationId.toLowerCase(), secret };
}
