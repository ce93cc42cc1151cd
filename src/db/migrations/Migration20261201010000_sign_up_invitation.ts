import { Migration } from '@mikro-orm/migrations';

/** The role requests run as, as in the RLS migration (migrations cannot read config). */
const APP_ROLE = 'tenantql_app';

/**
 * Sign-up by email confirmation and invitations (issue 8, kind C: an outsider learns nothing
 * about other accounts or tenants).
 *
 * `pending_sign_up` is global like `user` (no organization owns it yet): the account to create
 * once its address is confirmed, with only the hash of the mailed token.
 *
 * `invitation` is tenant-owned, with the guarantees of `membership` and `comment`:
 * - its own `organization_id`; the inviter and the accepting user are composite foreign keys to
 *   memberships of the SAME organization (PostgreSQL 15+ column lists clear only the user id when
 *   the member leaves); indexes lead with `organization_id`;
 * - at most one pending invitation per address and organization (a new one replaces it);
 * - `organization_id` cannot change (the core migration's trigger function);
 * - row-level security enabled and forced with the `tenant_isolation` policy; no DELETE grant
 *   (revoking sets `revoked_at`, the history stays).
 * Token hashes are unique across organizations; they are random (256 bits), so that key can
 * never tell one caller about another's rows.
 */
export class Migration20261201010000_sign_up_invitation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "pending_sign_up" (
      "id" uuid primary key,
      "email" text not null,
      "name" text not null,
      "password_hash" text not null,
      "organization_name" text null,
      "token_hash" text not null constraint "pending_sign_up_token_hash_key" unique,
      "created_at" timestamptz(3) not null default now(),
      "expires_at" timestamptz(3) not null
    );`);
    this.addSql(`create index "pending_sign_up_email_idx" on "pending_sign_up" ("email");`);
    this.addSql(`create index "pending_sign_up_expires_at_idx" on "pending_sign_up" ("expires_at");`);
    // UPDATE only because SELECT ... FOR UPDATE (a confirmation locks its row) needs it.
    this.addSql(`grant select, insert, update, delete on "pending_sign_up" to "${APP_ROLE}";`);

    this.addSql(`create table "invitation" (
      "id" uuid primary key,
      "organization_id" uuid not null references "organization" ("id") on delete cascade deferrable initially deferred,
      "email" text not null,
      "role" "membership_role" not null,
      "token_hash" text not null constraint "invitation_token_hash_key" unique,
      "invited_by_id" uuid null,
      "created_at" timestamptz(3) not null default now(),
      "expires_at" timestamptz(3) not null,
      "accepted_at" timestamptz(3) null,
      "accepted_by_id" uuid null,
      "revoked_at" timestamptz(3) null,
      constraint "invitation_invited_by_membership_fkey" foreign key ("organization_id", "invited_by_id")
        references "membership" ("organization_id", "user_id") on delete set null ("invited_by_id")
        deferrable initially deferred,
      constraint "invitation_accepted_by_membership_fkey" foreign key ("organization_id", "accepted_by_id")
        references "membership" ("organization_id", "user_id") on delete set null ("accepted_by_id")
        deferrable initially deferred
    );`);
    this.addSql(`create index "invitation_organization_id_created_at_id_idx" on "invitation" ("organization_id", "created_at" desc, "id" desc);`);
    this.addSql(`create unique index "invitation_organization_id_email_pending_key" on "invitation" ("organization_id", "email")
      where "accepted_at" is null and "revoked_at" is null;`);

    this.addSql(`create trigger "invitation_organization_id_immutable" before update of "organization_id" on "invitation"
      for each row when (new."organization_id" is distinct from old."organization_id")
      execute function "forbid_organization_change"();`);

    this.addSql(`grant select, insert, update on "invitation" to "${APP_ROLE}";`);
    const current = `(select nullif(current_setting('app.organization_id', true), '')::uuid)`;
    this.addSql(`alter table "invitation" enable row level security;`);
    this.addSql(`alter table "invitation" force row level security;`);
    this.addSql(`create policy "tenant_isolation" on "invitation" for all to public
      using ("organization_id" = ${current}) with check ("organization_id" = ${current});`);
  }

  override async down(): Promise<void> {
    // Dropping a table drops its policy, trigger, indexes, keys and grants with it.
    this.addSql(`drop table if exists "invitation";`);
    this.addSql(`drop table if exists "pending_sign_up";`);
  }
}
