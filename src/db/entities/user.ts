import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** A person. Users are global: one login can belong to several organizations through memberships. */
export const User = defineEntity({
  name: 'User',
  tableName: 'user',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    /** Stored normalized (src/auth/email.ts: NFC, case-folded), so uniqueness holds for every spelling of an address. */
    email: p.text().unique('user_email_key'),
    name: p.text(),
    /** Null on a dedicated placement's copy of a user: sign-in reads the shared database only. */
    passwordHash: p.text().nullable().hidden(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
  }),
});
export type User = InferEntity<typeof User>;
