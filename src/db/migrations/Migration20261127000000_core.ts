import { Migration } from '@mikro-orm/migrations';

/**
 * The core schema. Written by hand, not generated: it holds what the ORM metadata cannot
 * express, and each of those is a tenancy guarantee:
 * - every tenant-owned table has its own `organization_id` and indexes that lead with it;
 * - `document.created_by_id` references a membership of the SAME organization through a
 *   composite key, so a document can never name a user of another organization as author;
 *   removing the member clears only `created_by_id` (PostgreSQL 15+ column list);
 * - a trigger refuses any UPDATE that moves a row to another organization.
 * Foreign keys are checked at commit (deferrable): the ORM knows ids, not relations, so it
 * may insert a document before the membership it references within one flush.
 */
export class Migration20261127000000_core extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type "membership_role" as enum ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER');`);

    this.addSql(`create table "organization" (
      "id" uuid primary key,
      "name" text not null,
      "slug" text not null constraint "organization_slug_key" unique,
      "created_at" timestamptz(3) not null default now()
    );`);

    this.addSql(`create table "user" (
      "id" uuid primary key,
      "email" text not null constraint "user_email_key" unique constraint "user_email_lowercase" check ("email" = lower("email")),
      "name" text not null,
      "password_hash" text not null,
      "created_at" timestamptz(3) not null default now()
    );`);

    this.addSql(`create table "membership" (
      "organization_id" uuid not null references "organization" ("id") on delete cascade deferrable initially deferred,
      "user_id" uuid not null references "user" ("id") on delete cascade deferrable initially deferred,
      "role" "membership_role" not null,
      "created_at" timestamptz(3) not null default now(),
      constraint "membership_pkey" primary key ("organization_id", "user_id")
    );`);
    this.addSql(`create index "membership_user_id_idx" on "membership" ("user_id");`);

    this.addSql(`create table "document" (
      "id" uuid primary key,
      "organization_id" uuid not null references "organization" ("id") on delete cascade deferrable initially deferred,
      "title" text not null,
      "body" text null,
      "created_by_id" uuid null,
      "created_at" timestamptz(3) not null default now(),
      "updated_at" timestamptz(3) not null default now(),
      "archived_at" timestamptz(3) null,
      constraint "document_created_by_membership_fkey" foreign key ("organization_id", "created_by_id")
        references "membership" ("organization_id", "user_id") on delete set null ("created_by_id")
        deferrable initially deferred
    );`);
    this.addSql(`create index "document_organization_id_created_at_id_idx" on "document" ("organization_id", "created_at" desc, "id" desc);`);

    this.addSql(`create table "activity_event" (
      "id" uuid primary key,
      "organization_id" uuid not null references "organization" ("id") on delete cascade deferrable initially deferred,
      "actor_id" uuid null references "user" ("id") on delete set null deferrable initially deferred,
      "action" text not null,
      "target_type" text null,
      "target_id" uuid null,
      "request_id" text null,
      "created_at" timestamptz(3) not null default now()
    );`);
    this.addSql(`create index "activity_event_organization_id_created_at_id_idx" on "activity_event" ("organization_id", "created_at" desc, "id" desc);`);

    this.addSql(`create function "forbid_organization_change"() returns trigger language plpgsql as $$
      begin
        raise exception 'organization_id of a % row cannot change', tg_table_name using errcode = 'check_violation';
      end
    $$;`);
    for (const table of ['membership', 'document', 'activity_event']) {
      this.addSql(`create trigger "${table}_organization_id_immutable" before update of "organization_id" on "${table}"
        for each row when (new."organization_id" is distinct from old."organization_id")
        execute function "forbid_organization_change"();`);
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "activity_event", "document", "membership", "user", "organization";`);
    this.addSql(`drop function if exists "forbid_organization_change"();`);
    this.addSql(`drop type if exists "membership_role";`);
  }
}
