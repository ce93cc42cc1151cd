import { existsSync } from 'node:fs';
import { loadConfig } from './config/index.js';
import { runningEmbeddedUrl } from './db/embedded.js';
import { ormOptions } from './db/orm.js';

/**
 * The MikroORM CLI's configuration (`npx mikro-orm migration:list`, `migration:create`,
 * `migration:up`, `seeder:run`, ...), loaded through ../mikro-orm.config.js, which registers tsx.
 * The same options as the server's owner connection (src/db/orm.ts: entities, filters, the
 * migrations and seeders beside it), on the database the server uses: DATABASE_URL (or
 * CUSTOMER_DATABASE_URL in single-tenant mode) from the environment or `./.env`, and without one
 * the embedded server `npm start` runs (it must be running: the CLI does not start one).
 * Migrations and seeders run as the connection's own user, the schema owner, like at start-up.
 */
// As in src/main.ts: variables already set in the environment win over the file.
if (existsSync('.env')) process.loadEnvFile('.env');
const config = loadConfig();

export default ormOptions({
  clientUrl: config.database.url ?? (await runningEmbeddedUrl(config.database.dataDir, config.database.embeddedPort)),
  mode: config.mode,
  poolMax: 2,
});
