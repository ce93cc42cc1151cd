import { Migration } from '@mikro-orm/migrations';

/** The role requests run as, as in the RLS migration (migrations cannot read config). */
const APP_ROLE = 'tenantql_app';
/** A placement's name: what `PLACEMENT_<NAME>_URL` names, lower-cased (src/tenancy/placement/placement-name.ts). */
const NAME_CHECK = `~ '^[a-z][a-z0-9_]{0,30}$'`;

/**
 * Placements (issue 10: hybrid deployment). Every placement database runs every migration, so
 * each holds the same tables; what differs is which rows it holds.
 *
 * - `user.password_hash` may be NULL: a dedicated placement keeps copies of its members' users
 *   without it (sign-in reads the shared database only).
 * - `organization` gains the directory's columns: the placement serving it, its tier, its state
 *   (`active`, `moving`, `archived`, `erased`) and the placement epoch, raised by every switch.
 *   In the shared database these rows ARE the directory (one per organization); in a dedicated
 *   placement they are that placement's own record of the organizations it serves.
 * - `placement_identity` (one row) says which placement this database is; the server writes it
 *   on first start and refuses a database that claims another name. No row reads as `shared`,
 *   so a database that predates placements keeps serving as it did.
 * - `placement` (used in the shared database) lists the placements created on the embedded server
 *   by `npm run tenant -- placements create` (their URLs follow from the server; configured ones
 *   come from PLACEMENT_<NAME>_URL only).
 * - `enter_organization` takes the epoch the caller routed by, and refuses (SQLSTATE TQ001) an
 *   organization that this database knows but does not serve: placed elsewhere, not active, or
 *   switched since the caller looked (fencing: an instance with a stale routing cache cannot
 *   read or write the old placement). `enter_tenant` is the same fence for sessions that enter
 *   an organization without a membership check (accepting an invitation, creating one).
 * - `record_membership_index` keeps the shared database's copy of a dedicated organization's
 *   memberships, so sign-in and `me` list a user's organizations wherever they live. It refuses
 *   organizations this database serves: their memberships are written by their own requests.
 */
export class Migration20261202010000_placement extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "organization"
      add column "placement" text not null default 'shared' constraint "organization_placement_check" check ("placement" ${NAME_CHECK}),
      add column "tier" text not null default 'standard' constraint "organization_tier_check" check ("tier" ${NAME_CHECK}),
      add column "state" text not null default 'active' constraint "organization_state_check" check ("state" in ('active', 'moving', 'archived', 'erased')),
      add column "placement_epoch" integer not null default 1 constraint "organization_placement_epoch_check" check ("placement_epoch" > 0);`);
    this.addSql(`create index "organization_placement_idx" on "organization" ("placement");`);
    this.addSql(`alter table "user" alter column "password_hash" drop not null;`);

    this.addSql(`create table "placement_identity" (
      "name" text not null constraint "placement_identity_name_check" check ("name" ${NAME_CHECK}),
      "only_row" boolean primary key default true constraint "placement_identity_only_row" check ("only_row")
    );`);
    this.addSql(`grant select on "placement_identity" to "${APP_ROLE}";`);

    this.addSql(`create table "placement" (
      "name" text primary key constraint "placement_name_check" check ("name" ${NAME_CHECK}),
      "database_name" text not null constraint "placement_database_name_key" unique,
      "created_at" timestamptz(3) not null default now()
    );`);
    this.addSql(`grant select on "placement" to "${APP_ROLE}";`);

    const fence = `
      select o."placement", o."state", o."placement_epoch" into here from "organization" o where o."id" = "organization";
      if found and (here."placement" is distinct from coalesce((select i."name" from "placement_identity" i), 'shared')
                    or here."state" <> 'active' or ("epoch" is not null and here."placement_epoch" <> "epoch")) then
        raise exception 'organization % is not served by this placement', "organization"
          using errcode = 'TQ001', detail = here."state", hint = here."placement_epoch"::text;
      end if;`;
    this.addSql(`drop function "enter_organization"(uuid, uuid);`);
    this.addSql(`create function "enter_organization"("organization" uuid, "member" uuid, "epoch" integer)
      returns table ("role" text, "email" text, "name" text, "created_at" timestamptz)
      language plpgsql security invoker as $$
    declare here record;
    begin
      ${fence}
      perform set_config('app.organization_id', "organization"::text, true), set_config('app.user_id', "member"::text, true);
      return query select m."role"::text, u."email", u."name", u."created_at"
        from "membership" m join "user" u on u."id" = m."user_id"
       where m."organization_id" = "organization" and m."user_id" = "member";
    end $$;`);
    this.addSql(`create function "enter_tenant"("organization" uuid, "member" uuid, "epoch" integer)
      returns void language plpgsql security invoker as $$
    declare here record;
    begin
      ${fence}
      perform set_config('app.organization_id', "organization"::text, true), set_config('app.user_id', coalesce("member"::text, ''), true);
    end $$;`);

    // SECURITY DEFINER: runs as the owner, which row-level security still binds (FORCE), so it
    // sets the organization for its own statements; `search_path` is pinned against hijacking.
    this.addSql(`create function "record_membership_index"("organization" uuid, "member" uuid, "new_role" "membership_role")
      returns void language plpgsql security definer set search_path = public, pg_temp as $$
    begin
      if not exists (select from "organization" o where o."id" = "organization"
                       and o."placement" is distinct from coalesce((select i."name" from "placement_identity" i), 'shared')) then
        raise exception 'organization % is served here: its memberships are not an index', "organization" using errcode = 'TQ002';
      end if;
      perform set_config('app.organization_id', "organization"::text, true);
      if "new_role" is null then
        delete from "membership" where "organization_id" = "organization" and "user_id" = "member";
      else
        insert into "membership" ("organization_id", "user_id", "role") values ("organization", "member", "new_role")
          on conflict ("organization_id", "user_id") do update set "role" = excluded."role";
      end if;
      perform set_config('app.organization_id', '', true);
    end $$;`);
    for (const fn of ['"enter_organization"(uuid, uuid, integer)', '"enter_tenant"(uuid, uuid, integer)', '"record_membership_index"(uuid, uuid, "membership_role")']) {
      this.addSql(`revoke all on function ${fn} from public;`);
      this.addSql(`grant execute on function ${fn} to "${APP_ROLE}";`);
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists "record_membership_index"(uuid, uuid, "membership_role");`);
    this.addSql(`drop function if exists "enter_tenant"(uuid, uuid, integer);`);
    this.addSql(`drop function if exists "enter_organization"(uuid, uuid, integer);`);
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
    this.addSql(`drop table if exists "placement", "placement_identity";`);
    this.addSql(`alter table "user" alter column "password_hash" set not null;`);
    this.addSql(`alter table "organization" drop column "placement", drop column "tier", drop column "state", drop column "placement_epoch";`);
  }
}
