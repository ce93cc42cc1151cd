import { Migration } from '@mikro-orm/migrations';

/** The role requests run as, as in the RLS migration (migrations cannot read config). */
const APP_ROLE = 'tenantql_app';

/**
 * Tenant moves (issue 11).
 *
 * - `tenant_move` (used in the shared database) is the journal of moves: one row per move with the
 *   step it reached (steps, mechanisms and outcomes are the mover's: src/tenancy/mobility/move.ts;
 *   no CHECK constraints, which MikroORM's schema diff cannot read back for a table it has no
 *   entity of; the column is `moved_organization_id`, not `organization_id`: a column of that name
 *   marks a tenant-owned table, and this is the control plane's), so that a move killed at any step is finished or rolled back by the next run
 *   of the same command (src/tenancy/mobility/move.ts).
 * - `enter_organization` and `enter_tenant` take the organization's advisory lock in SHARED mode
 *   for the transaction (`pg_advisory_xact_lock_shared`): a move's pause takes it EXCLUSIVE, so it
 *   waits for every transaction of that organization already under way and none starts until the
 *   pause is recorded. Other organizations never wait (the key is the organization's).
 * - While an organization is `moving` on the placement serving it, `enter_organization` lets its
 *   requests in READ ONLY (`transaction_read_only`): its reads go on, its writes fail with SQLSTATE
 *   25006 (the API answers TENANT_MOVING, retry). `enter_tenant` (sessions that write without a
 *   membership check) refuses it as before.
 */
export class Migration20261203000000_tenant_move extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "tenant_move" (
      "id" uuid primary key,
      "moved_organization_id" uuid not null,
      "source" text not null,
      "target" text not null,
      "step" text not null,
      "mechanism" text not null,
      "detail" jsonb not null default '{}',
      "started_at" timestamptz(3) not null default now(),
      "updated_at" timestamptz(3) not null default now(),
      "finished_at" timestamptz(3) null,
      "outcome" text null
    );`);
    // At most one unfinished move per organization.
    this.addSql(`create unique index "tenant_move_one_open_per_organization" on "tenant_move" ("moved_organization_id") where "finished_at" is null;`);

    const lock = `perform pg_advisory_xact_lock_shared(hashtextextended('tenantql.organization:' || "organization"::text, 0));`;
    const read = `select o."placement", o."state", o."placement_epoch" into here from "organization" o where o."id" = "organization";`;
    const elsewhere = `here."placement" is distinct from coalesce((select i."name" from "placement_identity" i), 'shared')
                    or ("epoch" is not null and here."placement_epoch" <> "epoch")`;
    const refuse = `raise exception 'organization % is not served by this placement', "organization"
          using errcode = 'TQ001', detail = here."state", hint = here."placement_epoch"::text;`;
    this.addSql(`create or replace function "enter_organization"("organization" uuid, "member" uuid, "epoch" integer)
      returns table ("role" text, "email" text, "name" text, "created_at" timestamptz)
      language plpgsql security invoker as $$
    declare here record;
    begin
      ${lock}
      ${read}
      if found and (${elsewhere} or here."state" not in ('active', 'moving')) then
        ${refuse}
      end if;
      if found and here."state" = 'moving' then
        perform set_config('transaction_read_only', 'on', true);
      end if;
      perform set_config('app.organization_id', "organization"::text, true), set_config('app.user_id', "member"::text, true);
      return query select m."role"::text, u."email", u."name", u."created_at"
        from "membership" m join "user" u on u."id" = m."user_id"
       where m."organization_id" = "organization" and m."user_id" = "member";
    end $$;`);
    this.addSql(`create or replace function "enter_tenant"("organization" uuid, "member" uuid, "epoch" integer)
      returns void language plpgsql security invoker as $$
    declare here record;
    begin
      ${lock}
      ${read}
      if found and (${elsewhere} or here."state" <> 'active') then
        ${refuse}
      end if;
      perform set_config('app.organization_id', "organization"::text, true), set_config('app.user_id', coalesce("member"::text, ''), true);
    end $$;`);
    this.addSql(`grant execute on function "enter_organization"(uuid, uuid, integer) to "${APP_ROLE}";`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "tenant_move";`);
    // The functions keep the lock and the read-only mode: the placement migration's versions
    // come back with that migration's down().
  }
}
