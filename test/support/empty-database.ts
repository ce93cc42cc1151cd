import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { urlFor } from './database.js';

/** A new database with nothing in it (not the migrated template), dropped with the run's others. */
export async function createEmptyDatabase(): Promise<string> {
  const name = `${inject('databasePrefix')}_empty_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return urlFor(name);
}
