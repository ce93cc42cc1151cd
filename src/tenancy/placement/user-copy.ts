import type { RequiredEntityData } from '@mikro-orm/core';
import { User } from '../../db/entities/index.js';
import type { TenantEntityManager } from '../tenant-entity-manager.js';

/** A user's public fields, as a dedicated placement copies them. */
export interface UserCopySource {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

/**
 * The row a dedicated placement keeps of a member's user: id, email, name and created time, and
 * never the password hash (NULL: sign-in reads the shared database only). The cast is for the
 * entity type, which marks the hidden hash as required.
 */
export function userCopy(user: UserCopySource): RequiredEntityData<User> {
  return { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt, passwordHash: null } as unknown as RequiredEntityData<User>;
}

/**
 * Makes sure the placement `tx` works on has the user's row (see userCopy), for its foreign keys
 * and member names. On the shared placement the account itself is found and nothing is written.
 * The copy is written by the caller's next flush. Two organizations of one placement accepting the
 * same user at the same moment would collide on the key: one of the two acceptances then fails
 * and can be retried (the invitation stays pending).
 */
export async function ensureUserCopy(tx: TenantEntityManager, user: UserCopySource): Promise<void> {
  if (await tx.findOne(User, user.id, { fields: ['id'] })) return;
  tx.create(User, userCopy(user));
}
