import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectOrm, type Orm } from '../src/db/orm.js';
import { createTestDatabase } from './support/database.js';

// The migrations are written by hand (they hold composite keys, triggers and deferred foreign
// keys the entity metadata cannot express). This catches the other direction: an entity,
// property or enum added to the code without a migration.

let orm: Orm;
beforeAll(async () => {
  orm = await connectOrm({ clientUrl: await createTestDatabase(), mode: 'multi_tenant', poolMax: 1 });
});
afterAll(() => orm?.close());

it('the migrated schema has every table, column and enum the entities declare', async () => {
  const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
  const statements = diff.split(';').map((s) => s.trim()).filter(Boolean);
  const missing = statements.filter((s) => /\b(create table|add column|create type|alter type|rename)\b/i.test(s));
  const nullability = statements.filter((s) => /\b(set|drop) not null\b/i.test(s));
  expect(missing).toEqual([]);
  expect(nullability).toEqual([]);
});
