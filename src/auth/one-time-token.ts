import { createHash, randomBytes } from 'node:crypto';

/**
 * Secrets mailed once (sign-up confirmations, invitations): 32 random bytes (256 bits), as 43
 * base64url characters. Only their hash is stored: someone who reads the table (a backup, a log
 * of it) cannot use a pending token. A fast hash suffices, unlike for passwords: a random 256-bit
 * value cannot be guessed from its hash (OWASP Forgot Password Cheat Sheet: store tokens hashed).
 */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether `value` has the shape of a secret from newSecret(): checked before any lookup. */
export const isSecret = (value: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(value);

/** SHA-256 of the secret, 64 hex characters: what the tables store and look up. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
