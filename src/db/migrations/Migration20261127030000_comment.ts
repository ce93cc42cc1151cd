import { Migration } from '@mikro-orm/migrations';

/** The role requests run as, as in the RLS migration (migrations cannot read config). */
const APP_ROLE = 'tenantql_app';

/**
 * Comments on documents, with the same guarantees as `document` (core and RLS migrations):
 * - the document and the author are composite foreign keys that include `organization_id`, so
 *   a comment can never point at another organization's document or member; deleting the
 *   document deletes its comments, removing the member clears only `author_id`;
 * - the list index leads with the organization and the document, in display order;
 * - `organization_id` cannot change (the core migration's trigger function);
 * - row-level security enabled and forced with the `tenant_isolation` policy.
 * Foreign keys are deferrable for the same reason as in the core migration.
 */
export class Migration20261127030000_comment extends Migration {
  override async up(): Promise<void> {
    // The target of the composite key below; `id` alone is already unique, so this adds no rule.
    this.addSql(`alter table "document" add constraint "document_organization_id_id_key" unique ("organization_id", "id");`);

    this.addSql(`create table "comment" (
      "id" uuid primary key,
      "organization_id" uuid not null references "organization" ("id") on delete cascade deferrable initially deferred,
      "document_id" uuid not null,
      "author_id" uuid null,
      "body" text not null,
      "created_at" timestamptz(3) not null,
      constraint "comment_document_fkey" foreign key ("organization_id", "document_id")
        references "document" ("organization_id", "id") on delete cascade
        deferrable initially deferred,
      constraint "comment_author_membership_fkey" foreign key ("organization_id", "author_id")
        references "membership" ("organization_id", "user_id") on delete set null ("author_id")
        deferrable initially deferred
    );`);
    this.addSql(`create index "comment_organization_id_document_id_created_at_id_idx" on "comment" ("organization_id", "document_id", "created_at", "id");`);

    this.addSql(`create trigger "comment_organization_id_immutable" before update of "organization_id" on "comment"
      for each row when (new."organization_id" is distinct from old."organization_id")
      execute function "forbid_organization_change"();`);

    this.addSql(`grant select, insert, update, delete on "comment" to "${APP_ROLE}";`);
    const current = `(select nullif(current_setting('app.organization_id', true), '')::uuid)`;
    this.addSql(`alter table "comment" enable row level security;`);
    this.addSql(`alter table "comment" force row level security;`);
    this.addSql(`create policy "tenant_isolation" on "comment" for all to public
      using ("organization_id" = ${current}) with check ("organization_id" = ${current});`);
  }

  override async down(): Promise<void> {
    // Dropping the table drops its policy, trigger, index, keys and grants with it.
    this.addSql(`drop table if exists "comment";`);
    this.addSql(`alter table "document" drop constraint if exists "document_organization_id_id_key";`);
  }
}
