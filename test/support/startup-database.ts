import pino from 'pino';
import { afterAll, expect } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { connectOrm, type Orm } from '../../src/db/orm.js';
import { SERVING_ROLE } from '../../src/db/serving-role.js';
import { createServer } from '../../src/server.js';
import { TenancyCheckError } from '../../src/tenancy/startup-check.js';
import { TEST_JWT_SECRET } from './app.js';
import { createTestDatabase, withSql } from './database.js';

// For tests of the start-up checks: a database to break on purpose, and the server's verdict on it.

const opened: Orm[] = [];
afterAll(() => Promise.all(opened.splice(0).map((orm) => orm.close())));

/** A fresh migrated database, the owner's SQL on it, and the serving ORM the server would use (closed after the file). */
export async function checkedDatabase() {
  const url = await createTestDatabase();
  const serving = await connectOrm({ clientUrl: url, mode: 'multi_tenant', poolMax: 1, role: SERVING_ROLE });
  opened.push(serving);
  const owner = (sql: string) => withSql(url, (c) => c.query(sql));
  return { url, serving, owner };
}

/** createServer's verdict on the database: null when it starts, else the TenancyCheckError it refused with. */
export async function startUp(url: string, serving: Orm): Promise<TenancyCheckError | null> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: url });
  return createServer({ config, orm: serving, logger: pino({ level: 'silent' }) }).then(
    async (server) => (await server.close(), null),
    (err: unknown) => {
      expect(err, 'refused with the tenancy check error').toBeInstanceOf(TenancyCheckError);
      return err as TenancyCheckError;
    },
  );
}
