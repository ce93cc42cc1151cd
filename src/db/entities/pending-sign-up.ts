import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

/**
 * A sign-up waiting for its email to be confirmed (confirmSignUp). Global like `user`: no
 * organization owns it (there may be none yet). Holds what the account will be made of, the
 * password already hashed, and only the hash of the mailed token. Deleted when confirmed (with
 * every other pending sign-up of the address); expired rows are deleted by later sign-ups.
 */
export const PendingSignUp = defineEntity({
  name: 'PendingSignUp',
  tableName: 'pending_sign_up',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** Normalized (src/auth/email.ts). Not unique: each sign-up mails its own token. */
    email: p.text(),
    name: p.text(),
    passwordHash: p.text().hidden(),
    /** Multi-tenant: the organization to create on confirmation; null for an account without one. */
    organizationName: p.text().nullable(),
    /** SHA-256 of the mailed token (src/auth/one-time-token.ts). */
    tokenHash: p.text().unique('pending_sign_up_token_hash_key').hidden(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    expiresAt: p.datetime(3),
  }),
});
export type PendingSignUp = InferEntity<typeof PendingSignUp>;
