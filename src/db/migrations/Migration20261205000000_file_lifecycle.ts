import { Migration } from '@mikro-orm/migrations';

/** The role requests run as, as in the RLS migration (migrations cannot read config). */
const APP_ROLE = 'tenantql_app';

/**
 * When a file's bytes are deleted (issue 12): only after the deletion of its row has committed,
 * and never lost track of (a transactional outbox).
 *
 * - `file_deletion` is the outbox: one row per object key whose file row was deleted. It is filled
 *   by the AFTER DELETE trigger on `file`, in the transaction that deletes the row, whoever deletes
 *   it (deleteFile, a document's cascade, the sweep of abandoned uploads): a rolled-back delete
 *   leaves no entry, a committed one always does. The server deletes the objects right after the
 *   commit and the periodic sweep deletes every queued one again (deletes are idempotent) before
 *   removing the entry. The column is `owner_organization_id`, not `organization_id`: a column of
 *   that name marks a tenant-owned table, and this is the deployment's bookkeeping (no grants: only
 *   the functions below, as the owner, touch it).
 * - The trigger queues a key only while the organization is served by this placement (its own
 *   `organization` row says this placement, active or moving): purge-archive deleting the copy a
 *   move left behind must not delete objects the organization still uses elsewhere (storage
 *   belongs to the deployment, not to a placement), and erasure deletes objects itself (erase.ts).
 *   Rows replicated by a move's subscription fire no trigger (session_replication_role = replica).
 * - `sweep_files(abandoned_before, max_rows)`: for each organization served here, deletes its
 *   pending uploads created before `abandoned_before` (the trigger queues their keys), then returns
 *   up to `max_rows` queued keys, oldest first. `forget_file_deletions(keys, queued_before)` removes
 *   entries whose objects the caller deleted, once queued before `queued_before`: until an upload
 *   URL issued before the delete has expired, it could put the bytes back, so they are deleted again. SECURITY DEFINER, as the owner, which row-level security still
 *   binds (FORCE): it sets each organization for its own statements, then restores the setting.
 * - A partial index finds pending uploads by age without reading the ready files.
 */
export class Migration20261205000000_file_lifecycle extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "file_deletion" (
      "object_key" text primary key,
      "owner_organization_id" uuid not null,
      "queued_at" timestamptz(3) not null default now()
    );`);
    this.addSql(`create index "file_deletion_owner_organization_id_idx" on "file_deletion" ("owner_organization_id");`);
    this.addSql(`create index "file_organization_id_pending_created_at_idx" on "file" ("organization_id", "created_at") where "status" = 'pending';`);

    const servedHere = (org: string) => `exists (select from "organization" o where o."id" = ${org} and o."state" in ('active', 'moving')
        and o."placement" = coalesce((select i."name" from "placement_identity" i), 'shared'))`;
    this.addSql(`create function "queue_file_deletion"() returns trigger
      language plpgsql security definer set search_path = public, pg_temp as $$
    begin
      if ${servedHere('old."organization_id"')} then
        insert into "file_deletion" ("object_key", "owner_organization_id") values (old."object_key", old."organization_id")
          on conflict ("object_key") do nothing;
      end if;
      return null;
    end $$;`);
    this.addSql(`create trigger "file_queue_deletion" after delete on "file" for each row execute function "queue_file_deletion"();`);

    this.addSql(`create function "sweep_files"("abandoned_before" timestamptz, "max_rows" integer)
      returns table ("object_key" text, "organization_id" uuid)
      language plpgsql security definer set search_path = public, pg_temp as $$
    declare
      org uuid;
      previous text := current_setting('app.organization_id', true);
    begin
      for org in select o."id" from "organization" o where ${servedHere('o."id"')} loop
        perform set_config('app.organization_id', org::text, true);
        delete from "file" f where f."organization_id" = org and f."status" = 'pending' and f."created_at" < "abandoned_before";
      end loop;
      perform set_config('app.organization_id', coalesce(previous, ''), true);
      return query select d."object_key", d."owner_organization_id" from "file_deletion" d order by d."queued_at", d."object_key" limit "max_rows";
    end $$;`);
    this.addSql(`create function "forget_file_deletions"("keys" text[], "queued_before" timestamptz) returns integer
      language sql security definer set search_path = public, pg_temp as $$
      with gone as (delete from "file_deletion" d where d."object_key" = any("keys") and d."queued_at" < "queued_before" returning 1)
      select count(*)::integer from gone
    $$;`);
    for (const fn of ['"sweep_files"(timestamptz, integer)', '"forget_file_deletions"(text[], timestamptz)']) {
      this.addSql(`revoke all on function ${fn} from public;`);
      this.addSql(`grant execute on function ${fn} to "${APP_ROLE}";`);
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists "file_queue_deletion" on "file";`);
    this.addSql(`drop function if exists "queue_file_deletion"();`);
    this.addSql(`drop function if exists "sweep_files"(timestamptz, integer);`);
    this.addSql(`drop function if exists "forget_file_deletions"(text[], timestamptz);`);
    this.addSql(`drop index if exists "file_organization_id_pending_created_at_idx";`);
    this.addSql(`drop table if exists "file_deletion";`);
  }
}
