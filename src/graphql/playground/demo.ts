import type { Logger } from 'pino';
import { User } from '../../db/entities/index.js';
import type { Orm } from '../../db/orm.js';
import { DEMO_PASSWORD, DEMO_USERS } from '../../db/seeders/demo-data.js';
import type { DemoSignIn } from './start-document.js';

/**
 * The demo sign-in to prefill, when the demo users exist in this database (seeded on the first
 * start of the embedded database, or with SEED_DEMO_DATA=true: src/db/bootstrap.ts); undefined
 * otherwise, so the playground never offers credentials that do not work. One indexed read of
 * `user` (not tenant-owned) at start-up. The caller asks only outside production.
 */
export async function findDemoSignIn(orm: Orm, logger: Logger): Promise<DemoSignIn | undefined> {
  const [first] = DEMO_USERS;
  if (!first) return undefined;
  try {
    const em = orm.em.fork({ clear: true, useContext: false });
    if ((await em.count(User, { email: first.email })) === 0) return undefined;
  } catch (err) {
    // The playground still works without the prefilled sign-in: not a reason to refuse to start.
    logger.warn({ err }, 'could not check for the demo users: the playground opens without the demo sign-in');
    return undefined;
  }
  return { email: first.email, password: DEMO_PASSWORD, userEmails: DEMO_USERS.map((u) => u.email) };
}
