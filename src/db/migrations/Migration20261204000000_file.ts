import { Migration } from '@mikro-orm/migrations';

/** The role requests run as, as in the RLS migration (migrations cannot read config). */
const APP_ROLE = 'tenantql_app';

/**
 * Document files (issue 12): one row per object in the storage provider (src/storage/), with the
 * guarantees of every tenant table (comment migration, citus_ready):
 * - primary key (`organization_id`, `id`), so Citus can distribute it by `organization_id`;
 * - the document and the uploader are composite foreign keys that include `organization_id`:
 *   deleting the document deletes its file rows, removing the member clears only `created_by_id`;
 * - `object_key` is `<organization id>/<file id>`, made by the server, never from input (the
 *   filename is a column, not part of the key); unique per organization;
 * - `status` is `pending` until completeFileUpload has checked the stored bytes, then `ready`;
 * - `organization_id` cannot change (the core migration's trigger function);
 * - row-level security enabled and forced with the `tenant_isolation` policy.
 */
export class Migration20261204000000_file extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "file" (
      "organization_id" uuid not null references "organization" ("id") on delete cascade deferrable initially deferred,
      "id" uuid not null,
      "document_id" uuid not null,
      "object_key" text not null,
      "filename" text not null,
      "content_type" text not null,
      "byte_size" bigint not null check ("byte_size" >= 0),
      "sha256" text not null check ("sha256" ~ '^[0-9a-f]{64}$'),
      "status" text not null default 'pending' check ("status" in ('pending', 'ready')),
      "created_by_id" uuid null,
      "created_at" timestamptz(3) not null,
      "completed_at" timestamptz(3) null,
      constraint "file_pkey" primary key ("organization_id", "id"),
      constraint "file_organization_id_object_key_key" unique ("organization_id", "object_key"),
      constraint "file_document_fkey" foreign key ("organization_id", "document_id")
        references "document" ("organization_id", "id") on delete cascade
        deferrable initially deferred,
      constraint "file_created_by_membership_fkey" foreign key ("organization_id", "created_by_id")
        references "membership" ("organization_id", "user_id") on delete set null ("created_by_id")
        deferrable initially deferred
    );`);
    this.addSql(`create index "file_organization_id_document_id_created_at_id_idx" on "file" ("organization_id", "document_id", "created_at", "id");`);

    this.addSql(`create trigger "file_organization_id_immutable" before update of "organization_id" on "file"
      for each row when (new."organization_id" is distinct from old."organization_id")
      execute function "forbid_organization_change"();`);

    this.addSql(`grant select, insert, update, delete on "file" to "${APP_ROLE}";`);
    const current = `(select nullif(current_setting('app.organization_id', true), '')::uuid)`;
    this.addSql(`alter table "file" enable row level security;`);
    this.addSql(`alter table "file" force row level security;`);
    this.addSql(`create policy "tenant_isolation" on "file" for all to public
      using ("organization_id" = ${current}) with check ("organization_id" = ${current});`);
  }

  override async down(): Promise<void> {
    // Dropping the table drops its policy, trigger, index, keys and grants with it.
    this.addSql(`drop table if exists "file";`);
  }
}
