import { Migration } from '@mikro-orm/migrations';

/** The role requests run as. Fixed here and in src/db/serving-role.ts; migrations cannot read config. */
const APP_ROLE = 'tenantql_app';
const TENANT_TABLES = ['membership', 'document', 'activity_event'];

/**
 * The second wall: PostgreSQL row-level security, so a bug in application code cannot leak
 * a row. Requests run as `tenantql_app` (no superuser, no BYPASSRLS, owns nothing); every
 * tenant table is ENABLE + FORCE row level security with a policy on the transaction-local
 * setting `app.organization_id`. A connection that set nothing sees and writes nothing:
 * `NULLIF(..., '')` turns the "unset" empty string into NULL, and `organization_id = NULL`
 * matches no row. `(select ...)` makes PostgreSQL evaluate the setting once per query.
 */
export class Migration20261127010000_rls extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $$ begin
      if not exists (select from pg_roles where rolname = '${APP_ROLE}') then
        create role "${APP_ROLE}" nologin nosuperuser nobypassrls nocreatedb nocreaterole;
      end if;
    end $$;`);
    // The owner (who runs migrations) switches to the app role on serving connections.
    this.addSql(`grant "${APP_ROLE}" to current_user;`);
    this.addSql(`grant usage on schema public to "${APP_ROLE}";`);
    this.addSql(`grant select, insert, update, delete on "organization", "user", "membership", "document" to "${APP_ROLE}";`);
    // The audit trail is append-only for the application.
    this.addSql(`grant select, insert on "activity_event" to "${APP_ROLE}";`);

    const current = `(select nullif(current_setting('app.organization_id', true), '')::uuid)`;
    for (const table of TENANT_TABLES) {
      this.addSql(`alter table "${table}" enable row level security;`);
      this.addSql(`alter table "${table}" force row level security;`);
      this.addSql(`create policy "tenant_isolation" on "${table}" for all to public
        using ("organization_id" = ${current}) with check ("organization_id" = ${current});`);
    }
    // Sign-in and `me` list the signed-in user's own memberships across organizations.
    this.addSql(`create policy "own_memberships" on "membership" for select to public
      using ("user_id" = (select nullif(current_setting('app.user_id', true), '')::uuid));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop policy if exists "own_memberships" on "membership";`);
    for (const table of TENANT_TABLES) {
      this.addSql(`drop policy if exists "tenant_isolation" on "${table}";`);
      this.addSql(`alter table "${table}" no force row level security;`);
      this.addSql(`alter table "${table}" disable row level security;`);
    }
    this.addSql(`revoke all on "organization", "user", "membership", "document", "activity_event" from "${APP_ROLE}";`);
    this.addSql(`revoke usage on schema public from "${APP_ROLE}";`);
  }
}
