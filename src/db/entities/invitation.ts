import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { ROLES } from './membership.js';

/**
 * Tenant-owned, like `membership`: an invitation of an email address into one organization,
 * accepted once by the signed-in user with that (normalized) email. `invitedById` and
 * `acceptedById` are composite foreign keys to memberships of the SAME organization (see the
 * migration). Only the hash of the mailed token is stored. Pending: neither accepted nor
 * revoked, and not expired.
 */
export const Invitation = defineEntity({
  name: 'Invitation',
  tableName: 'invitation',
  // Keys include organization_id (the citus_ready migration): the token names its organization.
  uniques: [{ name: 'invitation_organization_id_token_hash_key', properties: ['organizationId', 'tokenHash'] }],
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    organizationId: p.uuid(),
    /** Normalized (src/auth/email.ts). */
    email: p.text(),
    role: p.enum([...ROLES]).nativeEnumName('membership_role'),
    /** SHA-256 of the mailed token's secret (src/auth/one-time-token.ts); unique within the organization. */
    tokenHash: p.text().hidden(),
    /** Null once the inviter has left the organization. */
    invitedById: p.uuid().nullable(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    expiresAt: p.datetime(3),
    acceptedAt: p.datetime(3).nullable(),
    acceptedById: p.uuid().nullable(),
    revokedAt: p.datetime(3).nullable(),
  }),
});
export type Invitation = InferEntity<typeof Invitation>;
