import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizeEmail } from '../src/auth/email.js';
import { connectOrm } from '../src/db/orm.js';
import { withSql } from './support/database.js';
import { createEmptyDatabase } from './support/empty-database.js';

// One normalized form of an email (src/auth/email.ts) and the migration that rewrites stored
// ones. Sign-up, sign-in and invitations with other spellings: sign-up.test.ts, invitation.test.ts.

describe('normalizeEmail', () => {
  it('joins the spellings a person cannot tell apart: Unicode forms, letter case, folding', () => {
    const same: [string, string][] = [
      ['jos\u00e9@example.test', 'jose\u0301@example.test'], // precomposed é vs e + combining acute
      ['JOS\u00c9@EXAMPLE.TEST', 'jose\u0301@example.test'],
      ['  Ada@Example.Test ', 'ada@example.test'],
      ['stra\u00dfe@example.test', 'STRASSE@example.test'], // ß, SS
      ['stra\u1e9ee@example.test', 'strasse@example.test'], // capital sharp s
      ['\ufb01nance@example.test', 'finance@example.test'], // the fi ligature
      ['\u03a3\u03b1\u03c3@example.test', '\u03c3\u03b1\u03c2@example.test'], // sigma forms
      ['\u212bngstrom@example.test', '\u00e5ngstrom@example.test'], // ANGSTROM SIGN vs å
    ];
    for (const [a, b] of same) expect(normalizeEmail(a), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(normalizeEmail(b));
    expect(normalizeEmail('jose\u0301@example.test')).toBe('jos\u00e9@example.test'); // stored precomposed (NFC)
    // Different addresses stay different.
    expect(normalizeEmail('jose@example.test')).not.toBe(normalizeEmail('jos\u00e9@example.test'));
  });

  it('is idempotent and gives every code point and its upper and lower case one form', () => {
    const problems: string[] = [];
    for (let cp = 0; cp <= 0x10ffff && problems.length < 5; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = `a${String.fromCodePoint(cp)}b`; // inside a word, where context-dependent mappings apply
      const n = normalizeEmail(s);
      if (normalizeEmail(n) !== n) problems.push(`U+${cp.toString(16)}: not idempotent`);
      if (normalizeEmail(s.toUpperCase()) !== n || normalizeEmail(s.toLowerCase()) !== n) problems.push(`U+${cp.toString(16)}: case variants differ`);
      if (n !== n.normalize('NFC')) problems.push(`U+${cp.toString(16)}: not NFC`);
    }
    expect(problems).toEqual([]);
  });
});

describe('the migration that normalizes stored emails', () => {
  /** A database migrated up to (not including) the normalization, with these users in it. */
  async function databaseWith(emails: string[]): Promise<{ url: string; ids: string[]; migrate: () => Promise<void> }> {
    const url = await createEmptyDatabase();
    const orm = await connectOrm({ clientUrl: url, mode: 'multi_tenant', poolMax: 1 });
    try {
      await orm.getMigrator().up({ to: 'Migration20261127030000_comment' });
    } finally {
      await orm.close();
    }
    const ids = emails.map(() => randomUUID());
    await withSql(url, async (c) => {
      for (const [i, email] of emails.entries()) {
        await c.query(`insert into "user" (id, email, name, password_hash, created_at) values ($1, $2, 'x', 'x', now() + $3 * interval '1 second')`, [ids[i], email, i]);
      }
    });
    const migrate = async () => {
      const again = await connectOrm({ clientUrl: url, mode: 'multi_tenant', poolMax: 1 });
      try {
        await again.getMigrator().up();
      } finally {
        await again.close();
      }
    };
    return { url, ids, migrate };
  }

  const stored = (url: string) => withSql(url, async (c) => (await c.query<{ id: string; email: string }>('select id, email from "user" order by created_at')).rows);

  it('rewrites each email to its normalized form', async () => {
    const { url, ids, migrate } = await databaseWith(['jose\u0301@example.test', 'plain@example.test', 'stra\u00dfe@example.test']);
    await migrate();
    expect(await stored(url)).toEqual([
      { id: ids[0], email: 'jos\u00e9@example.test' },
      { id: ids[1], email: 'plain@example.test' },
      { id: ids[2], email: 'strasse@example.test' },
    ]);
  });

  it('refuses, naming both accounts and changing nothing, when two emails normalize to one', async () => {
    const { url, ids, migrate } = await databaseWith(['jos\u00e9@example.test', 'jose\u0301@example.test', 'other\u0301@example.test']);
    const before = await stored(url);
    const err = await migrate().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toContain(`users ${ids[0]}, ${ids[1]}`);
    expect(String((err as Error).message)).toMatch(/nothing was changed/);
    expect(await stored(url)).toEqual(before);
    const applied = await withSql(url, async (c) => (await c.query<{ name: string }>('select name from mikro_orm_migrations')).rows.map((r) => r.name));
    expect(applied).not.toContain('Migration20261201000000_normalize_emails');
  });
});
