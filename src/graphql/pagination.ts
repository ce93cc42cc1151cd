import type { Cursor } from '@mikro-orm/core';
import { isUuid } from '../tenancy/organization-id.js';
import { badInput } from './errors.js';

export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined, fallback: number): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}.`);
  return n;
}

/** Longer than any cursor we issue (base64url of `["<24-character ISO time>","<36-character uuid>"]` is 88). */
const MAX_CURSOR_LENGTH = 200;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The ISO form Date.prototype.toISOString() gives for years 0000 to 9999. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const invalidCursor = () => badInput('Invalid cursor: pass a pageInfo.endCursor from a previous page.');

/**
 * The (createdAt, id) a keyset cursor points after. A client can send anything, so only the
 * exact form this server issues is accepted (keysetCursorOf): base64url of the JSON array
 * `[createdAt as toISOString(), uuid]`, two elements, each of its type, re-encoding to the same
 * text. The time must have a four-digit year: JavaScript dates reach years -271821 to 275760,
 * PostgreSQL timestamps only 4713 BC to 294276 AD, and an out-of-range value must be the
 * client's error, not the database's. Throws BAD_USER_INPUT for anything else.
 */
export function keysetPosition(after: string | null | undefined): [Date, string] | undefined {
  if (after == null) return undefined;
  if (after.length > MAX_CURSOR_LENGTH || !BASE64URL.test(after)) throw invalidCursor();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalidCursor();
  const [time, id] = decoded as unknown[];
  if (typeof time !== 'string' || !ISO_TIME.test(time) || typeof id !== 'string' || !isUuid(id)) throw invalidCursor();
  const createdAt = new Date(time);
  // Rolled-over dates (2026-02-30) and any other spelling re-encode differently.
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== time || keysetCursorOf({ createdAt, id }) !== after) throw invalidCursor();
  return [createdAt, id.toLowerCase()];
}

/**
 * For MikroORM's findByCursor (the `activity` connection): the checked cursor, re-encoded from
 * its decoded position, so the ORM only ever decodes a value built here.
 */
export function keysetCursor(after: string | null | undefined): string | undefined {
  const position = keysetPosition(after);
  return position && keysetCursorOf({ createdAt: position[0], id: position[1] });
}

/**
 * The cursor of a row in a (createdAt desc, id desc) list: MikroORM's encoding (base64url of the
 * JSON `[createdAt, id]`), so both paths accept it; built directly, as ids are uuids.
 */
export const keysetCursorOf = (row: { createdAt: Date; id: string }): string =>
  Buffer.from(`["${row.createdAt.toISOString()}","${row.id}"]`).toString('base64url');

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export function toConnection<T extends object>(cursor: Cursor<T, any, any, any, boolean>): Connection<T> {
  return {
    edges: cursor.items.map((node) => ({ cursor: cursor.from(node), node: node as T })),
    pageInfo: { hasNextPage: cursor.hasNextPage, endCursor: cursor.endCursor },
  };
}

/** A connection from a page fetched with one row more than asked for (that row means "there is more"). */
export function pageConnection<T extends { createdAt: Date; id: string }>(rows: T[], first: number): Connection<T> {
  const items = rows.slice(0, first);
  // Encoded only for the edges whose cursor the client selects.
  const edges = items.map((node) => ({ node, get cursor() { return keysetCursorOf(node); } }));
  const last = items.at(-1);
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: last ? keysetCursorOf(last) : null } };
}
