import type pg from 'pg';

// The peer's share of the audit work (issue 13: compare like with like). The API and the ceiling
// write an `activity_event` row for `document(id)` and `createDocument` in the same statement as
// the read or the insert, and refuse createDocument below MEMBER; PostGraphile does neither by
// itself. These bench-only database objects make it do the same work in the same transaction.
// They go into the benchmark database only (never into the API's migrations).

/**
 * The `pgSettings` entry only the peer passes (bench/peer/postgraphile.ts): the trigger acts only
 * when it is 'on', so the API's and the ceiling's inserts into the same table, which write their
 * own events, are not audited twice.
 */
export const PEER_AUDIT_SETTING = 'bench.peer_audit';
/** The request id the peer passes with each request, written to the event as the API writes its own. */
export const PEER_REQUEST_ID_SETTING = 'bench.request_id';

/** The error the trigger raises below MEMBER; the peer answers it as FORBIDDEN (SQLSTATE 42501, insufficient_privilege). */
export const PEER_CREATE_FORBIDDEN = 'Creating documents needs MEMBER.';

const ORG = `nullif(current_setting('app.organization_id', true), '')::uuid`;
const USER = `nullif(current_setting('app.user_id', true), '')::uuid`;
const REQUEST_ID = `nullif(current_setting('${PEER_REQUEST_ID_SETTING}', true), '')`;

const SQL = `
-- createDocument: the role check (MEMBER and above, as the API's) and the audit event, before the
-- row is written and in its statement: the event cannot outlive the row. A refusal raises, which
-- rolls the whole transaction back, so it writes no event (the API records 'document.create.denied',
-- the ceiling records nothing); every benchmark token is OWNER or MEMBER, so no timed request is refused.
-- One BEFORE trigger rather than a BEFORE and an AFTER one: one function call per insert.
create or replace function bench_peer_document_create() returns trigger
  language plpgsql security invoker as $fn$
begin
  if not exists (select from membership
                  where organization_id = ${ORG} and user_id = ${USER}
                    and role in ('OWNER', 'ADMIN', 'MEMBER')) then
    raise exception '${PEER_CREATE_FORBIDDEN}' using errcode = '42501';
  end if;
  insert into activity_event (id, organization_id, actor_id, action, target_type, target_id, request_id)
  values (gen_random_uuid(), ${ORG}, ${USER}, 'document.create', 'Document', new.id, ${REQUEST_ID});
  return new;
end $fn$;

drop trigger if exists bench_peer_document_create on document;
-- WHEN keeps the API's and the ceiling's inserts out of the function altogether.
create trigger bench_peer_document_create before insert on document for each row
  when (current_setting('${PEER_AUDIT_SETTING}', true) = 'on')
  execute function bench_peer_document_create();

-- document(id): the read and its audit event in one statement, as the API's and the ceiling's
-- ('document.read', or 'document.read.denied' when no row is visible). VOLATILE, so PostGraphile
-- exposes it as the mutation readDocument(input: { rowId }). The row is found through the
-- forced RLS policy alone (SECURITY INVOKER: it runs as tenantql_app), as every other peer read.
create or replace function read_document(row_id uuid) returns document
  language sql volatile security invoker as $fn$
  with found as (select * from document where id = row_id),
  audit as (
    insert into activity_event (id, organization_id, actor_id, action, target_type, target_id, request_id)
    select gen_random_uuid(), ${ORG}, ${USER},
           case when exists (select from found) then 'document.read' else 'document.read.denied' end,
           'Document', row_id, ${REQUEST_ID}
  )
  select * from found
$fn$;
revoke all on function read_document(uuid) from public;
grant execute on function read_document(uuid) to tenantql_app;
revoke all on function bench_peer_document_create() from public;
`;

/**
 * Installs the peer's audit trigger on `document` and the `read_document(row_id uuid)` function
 * through `owner` (a connection as the schema owner; idempotent). tenantql_app needs nothing
 * beyond the migrations' grants (select on document and membership, insert on activity_event)
 * and execute on read_document. Errors from PostgreSQL are raised as they are. (This file imports
 * no runtime module, so the peer's own process can import its constants.)
 */
export async function installPeerAudit(owner: pg.Client): Promise<void> {
  await owner.query(SQL);
}
