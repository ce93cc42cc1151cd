import { User } from '../../db/entities/index.js';
import type { TenantEntityManager } from '../tenant-entity-manager.js';

/**
 * Makes sure the placement `tx` works on has the user's row: a dedicated placement keeps copies
 * of its members' users (id, email, name, created time; never the password hash: sign-in reads
 * the shared database) for its foreign keys and for member names. On the shared placement the
 * account itself is found and nothing is written. Inserts with ON CONFLICT DO NOTHING, so two
 * organizations of one placement accepting the same user at once do not collide.
 */
export async function ensureUserCopy(tx: TenantEntityManager, user: { id: string; email: string; name: string; createdAt: Date }): Promise<void> {
  if (await tx.findOne(User, user.id, { fields: ['id'] })) return;
  await tx.insert(User, { id: user.id, email: user.email, name: user.name, passwordHash: null, createdAt: user.createdAt }, { onConflictAction: 'ignore' } as never);
}
