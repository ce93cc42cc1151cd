import { describe, expect, it } from 'vitest';
import { appendActivity } from '../src/modules/activity/activity.service.js';
import { findFirstComments } from '../src/modules/comment/comment.queries.js';
import { findDocument, findDocumentAudited, findDocumentPage, insertDocumentAudited } from '../src/modules/document/document.queries.js';
import type { RequestScope } from '../src/tenancy/request-scope.js';
import { TenantIsolationError } from '../src/tenancy/errors.js';
import { TENANT_TABLES, tenantStatement, type TenantSql, type TenantStatement } from '../src/tenancy/tenant-sql.js';
import { tenantStatementProblems } from '../src/tenancy/tenant-statement-check.js';

// The fixed-statement check (tenant-sql.ts, tenant-statement-check.ts) reads statements with
// PostgreSQL's own parser. Each refusal below is a way a statement can look filtered by
// `organization_id = $1` to a text search and still read or write other organizations' rows.

const problems = (sql: string) => tenantStatementProblems(sql, TENANT_TABLES);

/** A TenantSql that records the statements the query modules send, and answers no rows. */
function recordingSql(): { sql: TenantSql; sent: TenantStatement[] } {
  const sent: TenantStatement[] = [];
  const sql = { rows: async (statement: TenantStatement) => (sent.push(statement), []) } as unknown as TenantSql;
  return { sql, sent };
}

describe('tenant statements we ship', () => {
  it('takes the tenant tables from the entities', () => {
    expect([...TENANT_TABLES].sort()).toEqual(['activity_event', 'comment', 'document', 'file', 'invitation', 'membership']);
  });

  it('accepts every fixed statement and every variant the query modules can build', async () => {
    const { sql, sent } = recordingSql();
    await findDocument(sql, '00000000-0000-4000-8000-000000000000');
    await findDocumentAudited(sql, [], 'document.read.denied');
    await insertDocumentAudited(sql, [], { title: 't', body: null }).catch(() => undefined); // answers no row here
    for (let first = 1; first <= 100; first++) {
      for (const includeArchived of [false, true]) {
        for (const titleLike of [undefined, '%x%']) {
          for (const after of [undefined, [new Date(), '00000000-0000-4000-8000-000000000000'] as [Date, string]]) {
            await findDocumentPage(sql, { first, includeArchived, titleLike, after });
          }
        }
      }
      await findFirstComments(sql, [], first);
    }
    const scope = { sql, userId: 'u', organizationId: 'o', requestId: 'r' } as unknown as RequestScope;
    await appendActivity(scope, 'document.read');

    const names = new Set(sent.map((s) => s.name));
    expect(names.size).toBe(3 + 100 * 8 + 100 + 1);
    for (const statement of new Map(sent.map((s) => [s.name, s])).values()) {
      expect(problems(statement.text), statement.name).toEqual([]);
    }
  });

  it('accepts the usual ways of writing the filter', () => {
    for (const sql of [
      'select d.id from document d where $1 = d.organization_id',
      'select d.id from document d where d.organization_id = $1::uuid and (d.id = $2 and d.title = $3)',
      'select id from public.document where document.organization_id = $1',
      'select id from document where organization_id = $1 union all select id from comment c where c.organization_id = $1',
      'with mine as (select id from document where organization_id = $1) select m.id from mine m',
      'select d.id from document d where d.organization_id = $1 and exists (select 1 from comment c where c.organization_id = $1 and c.document_id = d.id)',
      'insert into comment (id, organization_id, body) values ($2, $1, $3), ($4, $1::uuid, $5) returning id',
      // A write and its audit event, or a read and its audit event, as one statement.
      'with audit as (insert into activity_event (organization_id, id) values ($1, $2)) insert into document (organization_id, id, title) values ($1, $2, $3) returning id',
      'with x as (select 1) insert into comment (organization_id, id) values ($1, $2)',
      'with found as (select id from document where organization_id = $1 and id = $2), audit as (insert into activity_event (organization_id, id, action) values ($1, $3, case when exists (select from found) then $4 else $5 end)) select id from found',
    ]) {
      expect(problems(sql), sql).toEqual([]);
    }
  });
});

describe('tenant statements refused', () => {
  const refused: [what: string, sql: string, problem: RegExp][] = [
    ['`or true`', 'select * from document where organization_id = $1 or true', /no top-level conjunct document\.organization_id = \$1/],
    ['`or 1=1`', 'select * from document d where d.organization_id = $1 or 1=1', /reads document \(as d\) in a SELECT whose WHERE has no top-level conjunct d\.organization_id = \$1/],
    ['`is not false`', 'select * from document where (organization_id = $1) is not false', /no top-level conjunct/],
    ['`not (… <> $1)`', 'select * from document where not (organization_id <> $1)', /no top-level conjunct/],
    ['another operator', 'select * from document where organization_id >= $1', /no top-level conjunct/],
    ['a schema-qualified operator', 'select * from document where organization_id operator(public.=) $1', /no top-level conjunct/],
    ['a cast of the column', 'select * from document where organization_id::text = $1', /no top-level conjunct/],
    ['a filter only inside a subquery', 'select * from document d where d.id in (select id from document where organization_id = $1)', /reads document \(as d\)/],
    ['a UNION arm without it', 'select id from document where organization_id = $1 union all select id from comment', /reads comment in a SELECT/],
    ['`$10` instead of `$1`', 'select * from document where organization_id = $10', /no top-level conjunct/],
    ['`$2` instead of `$1`', 'select * from document d where d.organization_id = $2', /no top-level conjunct d\.organization_id/],
    ['a cast of $1 to another type', 'select * from document d where d.organization_id = $1::text', /no top-level conjunct/],
    ['the table name where it has an alias', 'select * from document d where document.organization_id = $1', /reads document \(as d\)/],
    ['another table\'s alias', 'select * from document d join comment c on c.document_id = d.id where c.organization_id = $1', /reads document \(as d\)/],
    ['a second tenant table filtered in ON only', 'select * from document d join comment c on c.document_id = d.id and c.organization_id = $1 where d.organization_id = $1', /reads comment \(as c\)/],
    ['a second tenant table in a comma join', 'select * from document d, document d2 where d.organization_id = $1', /reads document \(as d2\)/],
    ['unqualified with two FROM items', 'select * from document d join "user" u on u.id = d.created_by_id where organization_id = $1', /reads document \(as d\)/],
    ['a CTE reading a tenant table unfiltered', 'with everything as (select id from document) select e.id from everything e join document d on d.id = e.id where d.organization_id = $1', /reads document in a SELECT/],
    ['a LATERAL subquery unfiltered', 'select c.id from document d cross join lateral (select * from comment where document_id = d.id) c where d.organization_id = $1', /reads comment in a SELECT/],
    ['an EXISTS subquery unfiltered', 'select d.id from document d where d.organization_id = $1 and exists (select 1 from comment c where c.document_id = d.id)', /reads comment \(as c\)/],
    ['a subquery in the select list unfiltered', 'select d.id, (select count(*) from comment where document_id = d.id) from document d where d.organization_id = $1', /reads comment in a SELECT/],
    ['renamed columns', 'select * from document d(organization_id) where d.organization_id = $1', /renames the columns of document/],
    ['UPDATE', "update document set title = 'x' where organization_id = $1", /is a UpdateStmt: only SELECT and INSERT/],
    ['DELETE', 'delete from document where organization_id = $1', /is a DeleteStmt/],
    ['a data-modifying CTE', 'with gone as (delete from document where organization_id = $1 returning id) select d.id from document d where d.organization_id = $1', /contains a DeleteStmt/],
    ['SELECT INTO', 'select * into stolen from document where organization_id = $1', /SELECT INTO/],
    ['INSERT … SELECT', 'insert into document (organization_id, id, title) select $1, id, title from document where organization_id = $1', /INSERT … SELECT/],
    ['ON CONFLICT', 'insert into document (organization_id, id, title) values ($1, $2, $3) on conflict (id) do update set title = excluded.title', /ON CONFLICT/],
    ['an INSERT without organization_id', 'insert into document (id, title) values ($1, $2)', /does not list organization_id/],
    ['an INSERT with $2 as organization', 'insert into document (id, organization_id) values ($1, $2)', /VALUES row 1 does not put \$1 in organization_id/],
    ['a second VALUES row with another organization', 'insert into comment (organization_id, id) values ($1, $2), ($3, $4)', /VALUES row 2 does not put \$1/],
    ['DEFAULT as organization', 'insert into comment (organization_id, id) values (default, $2)', /VALUES row 1/],
    ['an INSERT into a table that is not tenant-owned', 'insert into "user" (organization_id, id) values ($1, $2)', /inserts into user, which is not tenant-owned/],
    ['a data-modifying CTE writing $2 as organization', 'with e as (insert into activity_event (organization_id, id) values ($2, $3)) insert into document (organization_id, id) values ($1, $3)', /VALUES row 1 does not put \$1/],
    ['a data-modifying CTE copying rows with INSERT … SELECT', 'with e as (insert into document (organization_id, id, title) select $1, id, title from document where organization_id = $1) select d.id from document d where d.organization_id = $1', /INSERT … SELECT/],
    ['a data-modifying CTE into a table that is not tenant-owned', 'with e as (insert into "user" (organization_id, id) values ($1, $2)) select d.id from document d where d.organization_id = $1', /inserts into user/],
    ['a data-modifying CTE with ON CONFLICT', 'with e as (insert into comment (organization_id, id) values ($1, $2) on conflict (id) do nothing) select d.id from document d where d.organization_id = $1', /ON CONFLICT/],
    ['a WITH inside a CTE\'s INSERT', 'with e as (with x as (select 1) insert into comment (organization_id, id) values ($1, $2)) select d.id from document d where d.organization_id = $1', /WITH clause of its own/],
    ['an INSERT in a WITH below the top level', 'select s.id from (with e as (insert into comment (organization_id, id) values ($1, $2) returning id) select id from e) s, document d where d.organization_id = $1', /contains a InsertStmt/],
    ['an unfiltered SELECT CTE of an INSERT', 'with stolen as (select id from document) insert into comment (organization_id, id) values ($1, (select id from stolen limit 1))', /reads document in a SELECT/],
    ['two statements', 'select * from document where organization_id = $1; select * from document', /holds 2 statements/],
    ['the filter in a block comment', 'select * from document /* where organization_id = $1 */', /no top-level conjunct/],
    ['the filter in a line comment', 'select * from document where id = $2 -- and organization_id = $1', /no top-level conjunct/],
    ['the filter in a string literal', "select 'where organization_id = $1' from document", /no top-level conjunct/],
    ['a function that can re-point the session', "select set_config('app.organization_id', $2, true), d.id from document d where d.organization_id = $1", /calls set_config\(\)/],
    ['a function that can read any table', 'select d.id, public.lower(d.title) from document d where d.organization_id = $1', /calls public\.lower\(\)/],
    ['a tenant table under TABLESAMPLE', 'select * from document tablesample system (10) where organization_id = $1', /uses document outside a FROM list/],
    ['no tenant table at all', 'select $1::uuid, email from "user"', /reads no tenant-owned table/],
    ['text PostgreSQL cannot parse', 'select * from document where organization_id = $1 and', /does not parse/],
  ];
  for (const [what, sql, problem] of refused) {
    it(what, () => {
      expect(problems(sql)).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
    });
  }

  it('tenantStatement throws TenantIsolationError naming the statement and every problem', () => {
    const attempt = () => tenantStatement('leaky_join', 'select * from document d, comment c where d.organization_id = $1 or true');
    expect(attempt).toThrow(TenantIsolationError);
    expect(attempt).toThrow(/^statement leaky_join is not a safe tenant statement: it reads document \(as d\) .*; it reads comment \(as c\) /);
  });
});
