import { Migration } from '@mikro-orm/migrations';

const APP_ROLE = 'tenantql_app';

/**
 * One round trip to enter an organization: sets the transaction-local settings the RLS policies
 * read and returns the caller's role in it and their user row (no row when not a member). A function because a single
 * SQL statement cannot both set the settings and read through a policy that reads them (the
 * policy's `(select current_setting(...))` may run first); inside PL/pgSQL the statements run in
 * order. SECURITY INVOKER: the membership read is itself subject to row-level security.
 */
export class Migration20261127020000_session extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create function "enter_organization"("organization" uuid, "member" uuid)
      returns table ("role" text, "email" text, "name" text, "created_at" timestamptz)
      language plpgsql security invoker as $$
    begin
      perform set_config('app.organization_id', "organization"::text, true), set_config('app.user_id', "member"::text, true);
      return query select m."role"::text, u."email", u."name", u."created_at"
        from "membership" m join "user" u on u."id" = m."user_id"
       where m."organization_id" = "organization" and m."user_id" = "member";
    end $$;`);
    this.addSql(`revoke all on function "enter_organization"(uuid, uuid) from public;`);
    this.addSql(`grant execute on function "enter_organization"(uuid, uuid) to "${APP_ROLE}";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists "enter_organization"(uuid, uuid);`);
  }
}
