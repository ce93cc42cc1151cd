import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export function urlFor(database: string): string {
  const u = new URL(inject('adminUrl'));
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh, migrated database (a copy of the run's template), dropped when the run ends. */
export async function createTestDatabase(): Promise<string> {
  const name = `${inject('databasePrefix')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  try {
    await admin.query(`create database "${name}" template "${inject('templateDatabase')}"`);
  } finally {
    await admin.end();
  }
  return urlFor(name);
}

/** A plain driver connection, outside the ORM and the app: for checking what really is in the tables. */
export async function withSql<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
