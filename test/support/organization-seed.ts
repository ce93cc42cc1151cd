import { randomBytes, randomUUID } from 'node:crypto';
import { withSql } from './database.js';

/** A member to seed: the account (with `passwordHash` in the shared database) and its role. */
export interface SeedMember {
  id: string;
  email: string;
  name: string;
  role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER';
  passwordHash: string;
}

/** What seedOrganization wrote, for assertions. */
export interface SeededOrganization {
  id: string;
  slug: string;
  documentIds: string[];
}

export const newMember = (role: SeedMember['role'], passwordHash: string, prefix = 'member'): SeedMember => ({
  id: randomUUID(),
  email: `${prefix}-${randomBytes(4).toString('hex')}@archive.test`,
  name: `${prefix} ${role.toLowerCase()}`,
  role,
  passwordHash,
});

/**
 * An organization with every tenant table filled, written by plain SQL as the owner (faster than
 * the API, and the archive must carry whatever the tables hold): the directory row, accounts and
 * (for a dedicated placement) the membership index in the shared database; the placement's own
 * organization row, user copies without password hash, memberships, `documents` documents (some
 * archived), a comment on each of the first three, one pending invitation and one audit event
 * per document. Timestamps carry milliseconds, as the entities write them.
 */
export async function seedOrganization(
  sharedUrl: string,
  placement: { name: string; url: string },
  input: { name: string; members: SeedMember[]; documents: number },
): Promise<SeededOrganization> {
  const id = randomUUID();
  const slug = `${input.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomBytes(3).toString('hex')}`;
  const owner = input.members[0]!;
  const dedicated = placement.url !== sharedUrl;
  const organization = `insert into "organization" ("id", "name", "slug", "created_at", "placement", "tier") values ($1, $2, $3, '2026-11-01T08:00:00.123Z', $4, 'enterprise')`;
  await withSql(sharedUrl, async (c) => {
    await c.query('begin');
    await c.query(organization, [id, input.name, slug, placement.name]);
    for (const m of input.members) {
      await c.query(`insert into "user" ("id", "email", "name", "password_hash", "created_at") values ($1, $2, $3, $4, '2026-10-01T09:30:00.5Z') on conflict ("id") do nothing`, [m.id, m.email, m.name, m.passwordHash]);
      if (dedicated) await c.query(`insert into "membership" ("organization_id", "user_id", "role") values ($1, $2, $3)`, [id, m.id, m.role]);
    }
    await c.query('commit');
  });
  const documentIds = Array.from({ length: input.documents }, () => randomUUID());
  await withSql(placement.url, async (c) => {
    await c.query('begin');
    if (dedicated) {
      await c.query(organization, [id, input.name, slug, placement.name]);
      for (const m of input.members) {
        await c.query(`insert into "user" ("id", "email", "name", "created_at") values ($1, $2, $3, '2026-10-01T09:30:00.5Z') on conflict ("id") do nothing`, [m.id, m.email, m.name]);
      }
    }
    for (const m of input.members) await c.query(`insert into "membership" ("organization_id", "user_id", "role", "created_at") values ($1, $2, $3, '2026-11-01T08:00:01.001Z')`, [id, m.id, m.role]);
    for (const [i, doc] of documentIds.entries()) {
      const at = new Date(Date.UTC(2026, 10, 2, 10, 0, 0, i * 7)).toISOString();
      await c.query(
        `insert into "document" ("id", "organization_id", "title", "body", "created_by_id", "created_at", "updated_at", "archived_at") values ($1, $2, $3, $4, $5, $6, $6, $7)`,
        [doc, id, `Document ${i} "quoted", ünïcödé`, i % 2 ? null : `Body ${i}\nsecond line`, input.members[i % input.members.length]!.id, at, i % 5 === 4 ? at : null],
      );
      await c.query(`insert into "activity_event" ("id", "organization_id", "actor_id", "action", "target_type", "target_id", "request_id", "created_at") values ($1, $2, $3, 'document.create', 'document', $4, $5, $6)`, [
        randomUUID(), id, owner.id, doc, `req-${i}`, at,
      ]);
      if (i < 3) {
        await c.query(`insert into "comment" ("id", "organization_id", "document_id", "author_id", "body", "created_at") values ($1, $2, $3, $4, 'Looks good', $5)`, [randomUUID(), id, doc, owner.id, at]);
      }
    }
    await c.query(
      `insert into "invitation" ("id", "organization_id", "email", "role", "token_hash", "invited_by_id", "created_at", "expires_at") values ($1, $2, $3, 'MEMBER', $4, $5, '2026-11-03T00:00:00Z', '2026-11-10T00:00:00Z')`,
      [randomUUID(), id, `invitee-${randomBytes(3).toString('hex')}@archive.test`, randomBytes(32).toString('hex'), owner.id],
    );
    await c.query('commit');
  });
  return { id, slug, documentIds };
}
