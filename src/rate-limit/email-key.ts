import { createHash } from 'node:crypto';
import { normalizeEmail } from '../auth/email.js';

/**
 * The key an email is counted under: its normalized form (src/auth/email.ts), so every spelling
 * of one address shares one counter, hashed (SHA-256, 32 hex characters) so that the counter
 * store (Redis) never holds an address book.
 */
export const emailKey = (email: string): string => createHash('sha256').update(normalizeEmail(email)).digest('hex').slice(0, 32);
