import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connectOrm } from '../../src/db/orm.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { buildCli } from './cli-build.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A URL of the test server's maintenance database, for CREATE DATABASE. */
    adminUrl: string;
    /** A migrated database that each test database is copied from. */
    templateDatabase: string;
    /** Prefix of every database this run creates (dropped at the end). */
    databasePrefix: string;
    /** src/cli/tenant.ts compiled once for this run (test/support/cli-build.ts): what tenant() runs. */
    tenantCli: string;
  }
}

export const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

/**
 * One PostgreSQL for the whole run: TEST_DATABASE_URL's server when set, else an embedded one
 * in a throw-away directory. Migrations run once, into a template database.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let dir: string | undefined;
  if (!adminUrl) {
    // A port free a moment ago can be taken before PostgreSQL binds it: .ci/run starts two suites
    // at the same moment, and both were once handed the same port (the second then stopped with
    // "could not create any TCP/IP sockets"). Such a start is retried on another port, in a new directory.
    for (let attempt = 1; ; attempt++) {
      dir = await mkdtemp(join(tmpdir(), 'tenantql-test-'));
      // Run as root, the server runs as `postgres`: a reachable directory keeps its files in place
      // (a 0700 one would be relocated under /var/lib/tenantql, see src/db/embedded-location.ts).
      await chmod(dir, 0o755);
      try {
        const embedded = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), database: 'postgres', persistent: false });
        adminUrl = embedded.adminUrl;
        stopEmbedded = embedded.stop;
        break;
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        if (attempt >= 3 || !/could not create any TCP\/IP sockets/.test(String(err))) throw err;
      }
    }
  }

  const prefix = `tenantql_test_${process.pid}_${Date.now().toString(36)}`;
  const template = `${prefix}_template`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database "${template}"`);
  const orm = await connectOrm({ clientUrl: withDatabase(adminUrl, template), mode: 'multi_tenant', poolMax: 2 });
  await orm.getMigrator().up();
  await orm.close();

  const cliDir = await mkdtemp(join(tmpdir(), 'tenantql-cli-build-'));
  project.provide('tenantCli', await buildCli(cliDir));
  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', template);
  project.provide('databasePrefix', prefix);

  return async () => {
    const { rows } = await admin.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${prefix}%`]);
    for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
    await admin.end();
    await stopEmbedded?.();
    await rm(cliDir, { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}
