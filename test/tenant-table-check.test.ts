import { EntitySchema, MikroORM } from '@mikro-orm/postgresql';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entities } from '../src/db/entities/index.js';
import { connectOrm, ormOptions, type Orm } from '../src/db/orm.js';
import { SERVING_ROLE } from '../src/db/serving-role.js';
import { tenantTableProblems } from '../src/db/tenant-table-check.js';
import { createTestDatabase } from './support/database.js';
import { ROOT } from './support/project-copy.js';
import { checkedDatabase, startUp } from './support/startup-database.js';

// The second wall (row-level security) at start-up: every piece a tenant-owned table needs is
// taken away, one at a time and on every such table, in a real migrated database, and the server
// must refuse to start naming the table; each piece is then put back and the check passes again.

const database = checkedDatabase;
/** ORMs this file opens itself (checkedDatabase closes its own). */
const opened: Orm[] = [];
afterAll(() => Promise.all(opened.map((orm) => orm.close())));


const predicate = `organization_id = (select nullif(current_setting('app.organization_id', true), '')::uuid)`;

/** One piece taken away (`breakIt`) and put back (`restore`), and what the refusal must say. */
interface Piece {
  name: string;
  breakIt: (table: string) => string;
  restore: (table: string) => string;
  problem: (table: string) => RegExp;
}

const pieces: Piece[] = [
  {
    name: 'row-level security enabled',
    breakIt: (t) => `alter table "${t}" disable row level security`,
    restore: (t) => `alter table "${t}" enable row level security`,
    problem: (t) => new RegExp(`tenant table "${t}" \\(entity \\w+\\): row-level security is not enabled`),
  },
  {
    name: 'row-level security forced',
    breakIt: (t) => `alter table "${t}" no force row level security`,
    restore: (t) => `alter table "${t}" force row level security`,
    problem: (t) => new RegExp(`tenant table "${t}" \\(entity \\w+\\): row-level security is not forced`),
  },
  {
    name: 'the tenant_isolation policy',
    breakIt: (t) => `drop policy "tenant_isolation" on "${t}"`,
    restore: (t) => `create policy "tenant_isolation" on "${t}" for all to public using (${predicate}) with check (${predicate})`,
    problem: (t) => new RegExp(`tenant table "${t}" \\(entity \\w+\\): no tenant_isolation policy`),
  },
  {
    name: "the policy's predicate (USING)",
    breakIt: (t) => `alter policy "tenant_isolation" on "${t}" using (${predicate} or true)`,
    restore: (t) => `alter policy "tenant_isolation" on "${t}" using (${predicate})`,
    problem: (t) => new RegExp(`tenant table "${t}" \\(entity \\w+\\): its tenant_isolation policy is not .*OR true`),
  },
  {
    name: "the policy's predicate (WITH CHECK)",
    breakIt: (t) => `alter policy "tenant_isolation" on "${t}" with check (true)`,
    restore: (t) => `alter policy "tenant_isolation" on "${t}" with check (${predicate})`,
    problem: (t) => new RegExp(`tenant table "${t}" \\(entity \\w+\\): its tenant_isolation policy is not .*with check true`),
  },
  {
    name: 'the policy for every command',
    breakIt: (t) => `drop policy "tenant_isolation" on "${t}"; create policy "tenant_isolation" on "${t}" for select to public using (${predicate})`,
    restore: (t) => `drop policy "tenant_isolation" on "${t}"; create policy "tenant_isolation" on "${t}" for all to public using (${predicate}) with check (${predicate})`,
    problem: (t) => new RegExp(`tenant table "${t}" \\(entity \\w+\\): its tenant_isolation policy is not .*command r`),
  },
  {
    name: 'no other permissive policy',
    breakIt: (t) => `create policy "peek" on "${t}" for select to public using (true)`,
    restore: (t) => `drop policy "peek" on "${t}"`,
    problem: (t) => new RegExp(`tenant table "${t}" \\(entity \\w+\\): permissive policy peek \\(command r\\) widens`),
  },
  {
    name: 'the organization trigger (dropped)',
    breakIt: (t) => `drop trigger "${t}_organization_id_immutable" on "${t}"`,
    restore: (t) =>
      `create trigger "${t}_organization_id_immutable" before update of "organization_id" on "${t}" for each row ` +
      `when (new."organization_id" is distinct from old."organization_id") execute function "forbid_organization_change"()`,
    problem: (t) => new RegExp(`tenant table "${t}" \\(entity \\w+\\): no enabled BEFORE UPDATE trigger executes forbid_organization_change`),
  },
  {
    name: 'the organization trigger (disabled)',
    breakIt: (t) => `alter table "${t}" disable trigger "${t}_organization_id_immutable"`,
    restore: (t) => `alter table "${t}" enable trigger "${t}_organization_id_immutable"`,
    problem: (t) => new RegExp(`tenant table "${t}" \\(entity \\w+\\): no enabled BEFORE UPDATE trigger`),
  },
];

const TENANT_TABLES = ['activity_event', 'comment', 'document', 'file', 'invitation', 'membership'];

describe('start-up refuses a tenant-owned table without its row-level security', () => {
  let tables: string[] = [];
  beforeAll(async () => {
    const orm = await connectOrm({ clientUrl: await createTestDatabase(), mode: 'multi_tenant', poolMax: 1 });
    opened.push(orm);
    tables = Object.values(orm.getMetadata().getAll())
      .filter((m) => m.properties.organizationId)
      .map((m) => m.tableName)
      .sort();
  });

  // The loop below names the tables so each gets its own test; this keeps it in step with the entities.
  it('covers every tenant-owned table', () => {
    expect(tables).toEqual(TENANT_TABLES);
  });

  it('control: the shipped schema starts, with no problem', async () => {
    const { url, serving } = await database();
    expect(await tenantTableProblems(serving)).toEqual([]);
    expect(await startUp(url, serving)).toBeNull();
  });

  // One database per table; on it, each piece is taken away, start-up refused naming exactly that
  // table and piece, and put back (the check passes again, so the next piece starts clean).
  for (const table of TENANT_TABLES) {
    it(`${table}: each missing piece refuses start-up, naming the table`, async () => {
      const { url, serving, owner } = await database();
      for (const piece of pieces) {
        await owner(piece.breakIt(table));
        const refused = await startUp(url, serving);
        expect(refused, `${table}: ${piece.name} missing`).not.toBeNull();
        expect(refused!.problems, `${table}: ${piece.name} missing`).toEqual([expect.stringMatching(piece.problem(table))]);
        expect(refused!.message).toMatch(/refusing to start/);
        await owner(piece.restore(table));
        expect(await tenantTableProblems(serving), `${table}: ${piece.name} restored`).toEqual([]);
      }
    });
  }
});

/**
 * The statements of the README's example migration for a new tenant table ("Migrations and
 * seeding"), its `${APP_ROLE}` and `${current}` replaced by the values the same block defines.
 */
function readmeInvoiceMigration(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('export class Migration20270105093000_invoice');
  expect(start, 'the README shows the invoice migration').toBeGreaterThan(0);
  const block = readme.slice(readme.lastIndexOf('```ts', start), readme.indexOf('override async down', start));
  const role = /const APP_ROLE = '(\w+)';/.exec(block)?.[1];
  const current = /const current = `([^`]+)`;/.exec(block)?.[1];
  expect(role).toBe(SERVING_ROLE);
  expect(current).toBeDefined();
  const statements = [...block.matchAll(/this\.addSql\(`([^`]+)`\);/g)].map((m) => m[1]!.replaceAll('${APP_ROLE}', role!).replaceAll('${current}', current!));
  expect(statements.length).toBeGreaterThanOrEqual(6);
  return statements;
}

describe('a new tenant-owned entity', () => {
  // An entity with organizationId: no table yet, then a bare table, then the table as the README's
  // example migration makes it ("Migrations and seeding").
  const Invoice = new EntitySchema({
    name: 'Invoice',
    tableName: 'invoice',
    properties: { id: { type: 'uuid', primary: true }, organizationId: { type: 'uuid' }, total: { type: 'integer' } },
  });

  it("is refused until its migration carries the policy, the trigger, forced row-level security and keys with organization_id, as the README's example does", async () => {
    const { url, owner } = await database();
    const orm = await MikroORM.init({ ...ormOptions({ clientUrl: url, mode: 'multi_tenant', poolMax: 1, role: SERVING_ROLE }), entities: [...entities, Invoice] });
    opened.push(orm);
    expect(await tenantTableProblems(orm)).toEqual(['tenant table "invoice" (entity Invoice) does not exist']);

    await owner(`create table "invoice" ("id" uuid primary key, "organization_id" uuid not null references "organization" ("id"), "total" int not null)`);
    await owner(`grant select, insert, update, delete on "invoice" to "${SERVING_ROLE}"`);
    expect(await tenantTableProblems(orm)).toEqual([
      'tenant table "invoice" (entity Invoice): row-level security is not enabled (alter table "invoice" enable row level security)',
      'tenant table "invoice" (entity Invoice): row-level security is not forced (alter table "invoice" force row level security)',
      'tenant table "invoice" (entity Invoice): no tenant_isolation policy',
      'tenant table "invoice" (entity Invoice): no enabled BEFORE UPDATE trigger executes forbid_organization_change(), so an UPDATE could move a row to another organization',
      // Its keys (test/citus-ready.test.ts covers these rules).
      'tenant table "invoice" (entity Invoice): primary key invoice_pkey (id) does not include organization_id (Citus requires the distribution column in every primary key and unique constraint)',
      expect.stringMatching(/^tenant table "invoice" \(entity Invoice\): replica identity DEFAULT \(the primary key\) does not cover organization_id/),
    ]);

    // The README's example migration, as written there, completes it.
    await owner('drop table "invoice"');
    for (const sql of readmeInvoiceMigration()) await owner(sql);
    expect(await tenantTableProblems(orm)).toEqual([]);
  });
});
