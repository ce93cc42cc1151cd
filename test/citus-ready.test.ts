import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Orm } from '../src/db/orm.js';
import { tenantKeyProblems, type TenantTable } from '../src/db/tenant-key-check.js';
import { tenantTableProblems } from '../src/db/tenant-table-check.js';
import { TenancyCheckError } from '../src/tenancy/startup-check.js';
import { withSql } from './support/database.js';
import { ROOT } from './support/project-copy.js';
import { checkedDatabase, startUp } from './support/startup-database.js';

// The schema is ready for Citus (distributed by organization_id) and for row-filtered logical
// replication: the catalog check passes on the migrated schema, each of its rules fires on a copy
// broken on purpose (and start-up is refused), and a real publication with a row filter on
// organization_id lets UPDATE and DELETE through on a tenant table, where it stops them on a
// table whose replica identity lacks the column.

const database = checkedDatabase;

/** The tenant tables as the start-up check finds them: entities with organizationId. */
const tenantTables = (orm: Orm): TenantTable[] =>
  Object.values(orm.getMetadata().getAll())
    .filter((meta) => !meta.embeddable && meta.properties.organizationId)
    .map((meta) => ({ entity: meta.className, table: meta.tableName }));

/** A rule broken on a table (`breakIt`), the problems it must raise, and how to put it back. */
interface Breakage {
  rule: string;
  breakIt: string;
  restore: string;
  problems: RegExp[];
}

const breakages: Breakage[] = [
  {
    rule: 'a primary key',
    breakIt: `alter table "activity_event" drop constraint "activity_event_pkey"`,
    restore: `alter table "activity_event" add constraint "activity_event_pkey" primary key ("organization_id", "id")`,
    problems: [/^tenant table "activity_event" \(entity ActivityEvent\): no primary key/, /"activity_event" .*: replica identity DEFAULT \(the primary key\) does not cover organization_id/],
  },
  {
    rule: 'the primary key includes organization_id',
    breakIt: `alter table "activity_event" drop constraint "activity_event_pkey", add constraint "activity_event_pkey" primary key ("id")`,
    restore: `alter table "activity_event" drop constraint "activity_event_pkey", add constraint "activity_event_pkey" primary key ("organization_id", "id")`,
    problems: [
      /^tenant table "activity_event" \(entity ActivityEvent\): primary key activity_event_pkey \(id\) does not include organization_id/,
      /"activity_event" .*: replica identity DEFAULT \(the primary key\) does not cover organization_id, so once a publication filters its rows by organization_id every UPDATE and DELETE of the table fails/,
    ],
  },
  {
    rule: 'unique constraints include organization_id',
    breakIt: `alter table "invitation" add constraint "invitation_token_hash_key" unique ("token_hash")`,
    restore: `alter table "invitation" drop constraint "invitation_token_hash_key"`,
    problems: [/^tenant table "invitation" \(entity Invitation\): unique constraint invitation_token_hash_key \(token_hash\) does not include organization_id \(Citus requires/],
  },
  {
    rule: 'unique indexes (partial ones too) include organization_id',
    breakIt: `create unique index "invitation_email_pending_key" on "invitation" ("email") where "accepted_at" is null`,
    restore: `drop index "invitation_email_pending_key"`,
    problems: [/^tenant table "invitation" \(entity Invitation\): unique index invitation_email_pending_key \(email\) does not include organization_id/],
  },
  {
    rule: 'foreign keys between tenant tables pair organization_id with organization_id',
    // Valid to PostgreSQL (membership's key, its columns in another order), but organization_id
    // now points at user_id: a comment could name a member of another organization.
    breakIt: `alter table "comment" drop constraint "comment_author_membership_fkey",
      add constraint "comment_author_membership_fkey" foreign key ("organization_id", "author_id") references "membership" ("user_id", "organization_id") not valid`,
    restore: `alter table "comment" drop constraint "comment_author_membership_fkey",
      add constraint "comment_author_membership_fkey" foreign key ("organization_id", "author_id") references "membership" ("organization_id", "user_id")
      on delete set null ("author_id") deferrable initially deferred`,
    problems: [/^tenant table "comment" \(entity Comment\): foreign key comment_author_membership_fkey to tenant table "membership" does not pair organization_id with organization_id/],
  },
  {
    rule: 'no foreign key from a global table into a tenant table',
    breakIt: `alter table "user" add column "last_organization_id" uuid, add column "last_document_id" uuid,
      add constraint "user_last_document_fkey" foreign key ("last_organization_id", "last_document_id") references "document" ("organization_id", "id")`,
    restore: `alter table "user" drop column "last_organization_id", drop column "last_document_id"`,
    problems: [/^tenant table "document" \(entity Document\): foreign key user_last_document_fkey of "user", which is not a tenant table, references it \(Citus supports no foreign key from a reference table/],
  },
  {
    rule: 'replica identity covers organization_id (NOTHING)',
    breakIt: `alter table "document" replica identity nothing`,
    restore: `alter table "document" replica identity default`,
    problems: [/^tenant table "document" \(entity Document\): replica identity NOTHING does not cover organization_id/],
  },
  {
    rule: 'replica identity covers organization_id (USING INDEX)',
    breakIt: `create unique index "comment_id_key" on "comment" ("id"); alter table "comment" replica identity using index "comment_id_key"`,
    restore: `alter table "comment" replica identity default; drop index "comment_id_key"`,
    problems: [
      /^tenant table "comment" \(entity Comment\): unique index comment_id_key \(id\) does not include organization_id/,
      /^tenant table "comment" \(entity Comment\): replica identity USING INDEX comment_id_key does not cover organization_id/,
    ],
  },
];

describe('the schema is ready for Citus and row-filtered replication', () => {
  it('the migrated schema has no problem, and a replica identity FULL or USING INDEX with organization_id is accepted', async () => {
    const { serving, owner } = await database();
    expect(tenantTables(serving).map((t) => t.table).sort()).toEqual(['activity_event', 'comment', 'document', 'file', 'invitation', 'membership']);
    expect(await tenantKeyProblems(serving, tenantTables(serving))).toEqual([]);
    await owner(`alter table "document" replica identity full`);
    await owner(`alter table "comment" replica identity using index "comment_pkey"`);
    expect(await tenantKeyProblems(serving, tenantTables(serving))).toEqual([]);
  });

  it('each rule broken refuses start-up, naming the table and the constraint; put back, the check passes', async () => {
    const { url, serving, owner } = await database();
    for (const { rule, breakIt, restore, problems } of breakages) {
      await owner(breakIt);
      const refused = await startUp(url, serving);
      expect(refused, `${rule}: start-up refused`).toBeInstanceOf(TenancyCheckError);
      expect((refused as TenancyCheckError).problems, rule).toEqual(problems.map((p) => expect.stringMatching(p)));
      await owner(restore);
      expect(await tenantTableProblems(serving), `${rule}: restored`).toEqual([]);
    }
  });
});

describe('a publication with a row filter on organization_id', () => {
  it('lets UPDATE and DELETE of a document through; a table whose replica identity lacks organization_id refuses both', async () => {
    const { url } = await database();
    const organization = randomUUID();
    const document = randomUUID();
    await withSql(url, async (sql) => {
      // The owner (a superuser here) writes directly: row-level security is not what is tested.
      await sql.query(`insert into "organization" ("id", "name", "slug") values ($1, 'Published', $2)`, [organization, `published-${organization}`]);
      await sql.query(`insert into "document" ("id", "organization_id", "title") values ($1, $2, 'draft')`, [document, organization]);
      // What moving one tenant publishes (issue 11). No wal_level=logical needed: PostgreSQL checks
      // the replica identity when the UPDATE or DELETE runs, whether or not anyone subscribes.
      await sql.query(`create publication "one_tenant" for table "document" where ("organization_id" = '${organization}') with (publish = 'insert, update, delete')`);
      await sql.query(`create table "scratch" ("id" uuid primary key, "organization_id" uuid not null)`);
      await sql.query(`alter publication "one_tenant" add table "scratch" where ("organization_id" = '${organization}')`);
      try {
        await expect(sql.query(`update "document" set "title" = 'final' where "organization_id" = $1 and "id" = $2`, [organization, document])).resolves.toMatchObject({ rowCount: 1 });
        await expect(sql.query(`delete from "document" where "organization_id" = $1 and "id" = $2`, [organization, document])).resolves.toMatchObject({ rowCount: 1 });

        // The trap: the same filter on a table keyed by id alone stops every UPDATE and DELETE,
        // even of rows of other organizations and of rows that do not exist.
        await sql.query(`insert into "scratch" values ($1, $2)`, [randomUUID(), organization]);
        const notInIdentity = /cannot (update|delete from) table "scratch"/;
        await expect(sql.query(`update "scratch" set "id" = "id"`)).rejects.toThrow(notInIdentity);
        await expect(sql.query(`delete from "scratch" where "organization_id" <> $1`, [organization])).rejects.toThrow(notInIdentity);
        // A key with organization_id (the migration's fix) lets them through.
        await sql.query(`alter table "scratch" drop constraint "scratch_pkey", add primary key ("organization_id", "id")`);
        await expect(sql.query(`update "scratch" set "id" = "id"`)).resolves.toMatchObject({ rowCount: 1 });
        await expect(sql.query(`delete from "scratch"`)).resolves.toMatchObject({ rowCount: 1 });
      } finally {
        await sql.query(`drop publication "one_tenant"`);
        await sql.query(`drop table "scratch"`);
      }
    });
  });
});

/** The README's Citus DDL ("Distributing with Citus"): each call, in order. */
function readmeCitusDdl(): { fn: string; table: string; args: string }[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Distributing with Citus');
  expect(start, 'the README has the section').toBeGreaterThan(0);
  const block = readme.slice(readme.indexOf('```sql', start), readme.indexOf('```\n', readme.indexOf('```sql', start) + 6));
  return [...block.matchAll(/select (create_reference_table|create_distributed_table)\('(\w+)'(.*)\);/g)].map((m) => ({ fn: m[1]!, table: m[2]!, args: m[3]! }));
}

describe("the README's Citus DDL", () => {
  it('distributes every tenant table by organization_id in one co-location group, after its foreign keys\' targets, and makes every other table a reference table', async () => {
    const { serving, owner } = await database();
    const ddl = readmeCitusDdl();
    const tenant = tenantTables(serving).map((t) => t.table);
    const global = Object.values(serving.getMetadata().getAll()).map((m) => m.tableName).filter((t) => !tenant.includes(t));
    const distributed = ddl.filter((d) => d.fn === 'create_distributed_table');
    expect(distributed.map((d) => d.table).sort()).toEqual([...tenant].sort());
    expect(ddl.filter((d) => d.fn === 'create_reference_table').map((d) => d.table).sort()).toEqual([...global].sort());
    const [first, ...others] = distributed;
    expect(first!.args).toBe(`, 'organization_id'`);
    for (const d of others) expect(d.args, d.table).toBe(`, 'organization_id', colocate_with => '${first!.table}'`);
    // Each table comes after every other table its foreign keys reference.
    const { rows } = await owner(`select c.conrelid::regclass::text as "from", c.confrelid::regclass::text as "to" from pg_constraint c
      where c.contype = 'f' and c.conrelid <> c.confrelid and c.connamespace = 'public'::regnamespace`);
    const position = (table: string) => ddl.findIndex((d) => d.table === table.replaceAll('"', ''));
    for (const { from, to } of rows as { from: string; to: string }[]) {
      if (position(from) >= 0) expect(position(to), `${from} references ${to}, which must be distributed first`).toBeLessThan(position(from));
    }
  });
});
