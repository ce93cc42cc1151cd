import { Migration } from '@mikro-orm/migrations';

/**
 * Erasure (issue 11, GDPR): `organization_tombstone` (used in the shared database) records that an
 * organization was erased: its id, when, by whom (the operator), and how many rows of each table
 * were deleted where. Nothing else of it remains: its directory row stays only as `erased`, with
 * its name and slug replaced, so the id is never given to another organization by accident and
 * routing answers "no such organization". (`erased_organization_id`: a column named
 * `organization_id` marks a tenant-owned table.)
 */
export class Migration20261203010000_tombstone extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "organization_tombstone" (
      "erased_organization_id" uuid primary key,
      "erased_at" timestamptz(3) not null default now(),
      "erased_by" text not null,
      "counts" jsonb not null
    );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "organization_tombstone";`);
  }
}
