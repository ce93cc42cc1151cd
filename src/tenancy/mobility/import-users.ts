import type pg from 'pg';
import { normalizeEmail } from '../../auth/email.js';
import { MobilityError } from './mobility-errors.js';

/** A member's user row as an archive carries it (row_to_json of `user`; `password_hash` only with --include-password-hashes). */
export interface ArchivedUser {
  id: string;
  email: string;
  name: string;
  created_at: string;
  password_hash?: string | null;
}

/** How the archive's users landed in the target deployment. */
export interface ImportedUsers {
  /** Archive user id -> the target's id for the same person (differs when matched to an account with another id). */
  ids: Map<string, string>;
  /** The users' rows as the target now has them (id, email, name, created_at): the `user` entry expected after the import. */
  rows: ArchivedUser[];
  /** Archive users that already had an account (same email) in the target. */
  matched: number;
  /** Accounts created. */
  created: number;
  /** Accounts created without a password hash: they cannot sign in with a password until they set one. */
  withoutPassword: number;
}

type Account = { id: string; email: string; name: string; created_at: Date };

/**
 * Creates or matches the archive's users in the target deployment, in the callers' transactions:
 * accounts in the shared database (`shared`), copies without password hash on a dedicated
 * placement (`placement`, null when the target is the shared placement).
 *
 * An account of the target with the same email (normalized as everywhere, src/auth/email.ts) is
 * the same person: email is how this application identifies people (sign-in, sign-up,
 * invitations and external identity providers all match by it), so the imported memberships
 * attach to that account, whose password and name stay as they are. Other users get an account
 * with the archive's id, and the archive's password hash if it carries one. Throws
 * MobilityError when an archive user's id belongs to a target account with another email.
 */
export async function importUsers(shared: pg.Client, placement: pg.Client | null, archived: ArchivedUser[]): Promise<ImportedUsers> {
  const emails = archived.map((u) => normalizeEmail(u.email));
  const byEmail = new Map(
    (await shared.query<Account>(`select "id", "email", "name", "created_at" from "user" where "email" = any($1::text[])`, [emails])).rows.map((a) => [a.email, a]),
  );
  const byId = new Map(
    (await shared.query<Account>(`select "id", "email" from "user" where "id" = any($1::uuid[])`, [archived.map((u) => u.id)])).rows.map((a) => [a.id, a.email]),
  );
  const result: ImportedUsers = { ids: new Map(), rows: [], matched: 0, created: 0, withoutPassword: 0 };
  const toCreate: ArchivedUser[] = [];
  archived.forEach((user, i) => {
    const email = emails[i]!;
    const existing = byEmail.get(email);
    if (existing) {
      result.ids.set(user.id, existing.id);
      result.rows.push({ id: existing.id, email: existing.email, name: existing.name, created_at: existing.created_at.toISOString() });
      result.matched++;
      return;
    }
    if (byId.has(user.id)) throw new MobilityError(`User ${user.id} of the archive is another account (another email) in the target deployment: the archive and the target disagree on who that is.`);
    const created = { id: user.id, email, name: user.name, created_at: user.created_at, password_hash: user.password_hash ?? null };
    result.ids.set(user.id, user.id);
    result.rows.push({ id: created.id, email, name: created.name, created_at: created.created_at });
    toCreate.push(created);
    result.created++;
    if (!created.password_hash) result.withoutPassword++;
  });
  const insert = (onConflict: string) =>
    `insert into "user" ("id", "email", "name", "password_hash", "created_at")
     select "id", "email", "name", "password_hash", "created_at" from json_populate_recordset(null::"user", $1::json) ${onConflict}`;
  if (toCreate.length > 0) await shared.query(insert(''), [JSON.stringify(toCreate)]);
  // A dedicated placement keeps copies of its members' users, never the password hash (user-copy.ts).
  const copies = result.rows.map((u) => ({ ...u, password_hash: null }));
  if (placement && copies.length > 0) await placement.query(insert('on conflict ("id") do nothing'), [JSON.stringify(copies)]);
  return result;
}

/** A row with every user-id column (OrganizationEntry.userColumns) mapped to the target's ids; `changed` when one was. */
export function remapUsers(row: Record<string, unknown>, columns: string[], ids: Map<string, string>): { row: Record<string, unknown>; changed: boolean } {
  let changed = false;
  const out = { ...row };
  for (const column of columns) {
    const value = out[column];
    if (typeof value !== 'string') continue;
    const mapped = ids.get(value);
    if (mapped && mapped !== value) {
      out[column] = mapped;
      changed = true;
    }
  }
  return { row: out, changed };
}
