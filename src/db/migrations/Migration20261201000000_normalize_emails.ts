import { Migration } from '@mikro-orm/migrations';
import { normalizeEmail } from '../../auth/email.js';

/**
 * Raised when two accounts' emails normalize to one address: nothing is changed. Not exported:
 * the Migrator runs the first class a migration file exports (src/db/orm.ts).
 */
class EmailCollisionError extends Error {
  override name = 'EmailCollisionError';
}

/**
 * Rewrites every `user.email` to its normalized form (src/auth/email.ts: NFC, case-folded), which
 * every lookup uses from now on. The normalization runs here in JavaScript, not in SQL, so the
 * stored form is exactly the one the service computes.
 *
 * Two accounts whose emails normalize to the same address (e.g. `jos\u00e9@x` and
 * `jose\u0301@x`, one person or two look-alike accounts) cannot both keep it, and which one is
 * the real owner is not a thing a migration can know: it refuses, changing nothing (the
 * migrations run in one transaction), and names the accounts. An operator merges them or gives
 * one another address, e.g. `update "user" set email = 'old+1@example.com' where id = '...'`,
 * and starts again.
 */
export class Migration20261201000000_normalize_emails extends Migration {
  override async up(): Promise<void> {
    const rows = (await this.execute('select "id", "email" from "user" order by "created_at", "id"')) as { id: string; email: string }[];
    const byNormalized = new Map<string, { id: string; email: string }[]>();
    for (const row of rows) {
      const key = normalizeEmail(row.email);
      byNormalized.set(key, [...(byNormalized.get(key) ?? []), row]);
    }
    const collisions = [...byNormalized].filter(([, users]) => users.length > 1);
    if (collisions.length > 0) {
      const list = collisions.map(([email, users]) => `${JSON.stringify(email)}: users ${users.map((u) => u.id).join(', ')}`).join('; ');
      throw new EmailCollisionError(
        `${collisions.length} email address(es) belong to more than one account once normalized (NFC, case-folded), so nothing was changed: ${list}. ` +
          'Merge those accounts or give all but one another email, then start again.',
      );
    }
    for (const [email, [user]] of byNormalized) {
      if (user!.email !== email) await this.execute('update "user" set "email" = ? where "id" = ?', [email, user!.id]);
    }
  }

  override async down(): Promise<void> {
    // The original spellings are not kept: normalized addresses stay valid ones.
  }
}
