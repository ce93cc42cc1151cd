import { Migration } from '@mikro-orm/migrations';

/**
 * Every key of a tenant table leads with `organization_id`, so the schema can be distributed by
 * Citus (`create_distributed_table(<table>, 'organization_id')`) and published with a row filter
 * on `organization_id` (moving one tenant between placements, issue 11):
 * - primary keys become (`organization_id`, `id`); `membership`'s already was
 *   (`organization_id`, `user_id`). Citus: "Primary keys and uniqueness constraints must include
 *   the distribution column" (docs, "Creating and Modifying Distributed Tables (DDL)").
 * - the invitation token's unique key becomes (`organization_id`, `token_hash`):
 *   acceptInvitation reads the organization from the token and looks the hash up inside it
 *   (under the tenant filter), so the lookup carries both columns. The hash is of 256 random
 *   bits, so it stays unique across organizations in practice.
 * - `document`'s separate unique (`organization_id`, `id`), kept only as the target of
 *   `comment_document_fkey`, is now the primary key itself; that foreign key is re-created
 *   on it (it depends on the unique's index, so it is dropped first and added back last).
 * - replica identity stays DEFAULT, which is the primary key (PostgreSQL docs, ALTER TABLE
 *   REPLICA IDENTITY), now covering `organization_id`: a publication whose row filter reads
 *   `organization_id` and publishes UPDATE/DELETE no longer refuses them (CREATE PUBLICATION:
 *   the row filter may use only replica-identity columns when UPDATE or DELETE is published).
 *
 * Ids are still random UUIDs (122 random bits) made by the application, so they remain unique in
 * practice; the database no longer enforces `id` alone, which Citus could not enforce across
 * shards anyway. Every query carries `organization_id` (the tenant filter, row-level security),
 * so the new keys serve the lookups by id. Rebuilding a key takes an ACCESS EXCLUSIVE lock on
 * its table while its index is built: on a large placement, run it in a quiet moment.
 */
export class Migration20261202000000_citus_ready extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "comment" drop constraint "comment_document_fkey";`);
    this.addSql(`alter table "document" drop constraint "document_organization_id_id_key";`);
    for (const table of ['document', 'activity_event', 'comment', 'invitation']) {
      this.addSql(`alter table "${table}" drop constraint "${table}_pkey";`);
      this.addSql(`alter table "${table}" add constraint "${table}_pkey" primary key ("organization_id", "id");`);
    }
    this.addSql(commentDocumentForeignKey);
    this.addSql(`alter table "invitation" drop constraint "invitation_token_hash_key";`);
    this.addSql(`alter table "invitation" add constraint "invitation_organization_id_token_hash_key" unique ("organization_id", "token_hash");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "invitation" drop constraint "invitation_organization_id_token_hash_key";`);
    this.addSql(`alter table "invitation" add constraint "invitation_token_hash_key" unique ("token_hash");`);
    this.addSql(`alter table "comment" drop constraint "comment_document_fkey";`);
    for (const table of ['document', 'activity_event', 'comment', 'invitation']) {
      this.addSql(`alter table "${table}" drop constraint "${table}_pkey";`);
      this.addSql(`alter table "${table}" add constraint "${table}_pkey" primary key ("id");`);
    }
    this.addSql(`alter table "document" add constraint "document_organization_id_id_key" unique ("organization_id", "id");`);
    this.addSql(commentDocumentForeignKey);
  }
}

/** As the comment migration wrote it: a comment names a document of its own organization. */
const commentDocumentForeignKey = `alter table "comment" add constraint "comment_document_fkey" foreign key ("organization_id", "document_id")
  references "document" ("organization_id", "id") on delete cascade deferrable initially deferred;`;
