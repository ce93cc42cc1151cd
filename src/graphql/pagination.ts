import { Cursor } from '@mikro-orm/core';
import { isUuid } from '../tenancy/organization-id.js';
import { badInput } from './errors.js';

export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined, fallback: number): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}.`);
  return n;
}

/**
 * Our cursors are MikroORM keyset cursors over (createdAt, id). A client can send anything, so
 * the decoded value is checked before it reaches SQL: a bad cursor is the client's error.
 */
export function keysetCursor(after: string | null | undefined): string | undefined {
  return keysetPosition(after) && after!;
}

/** The (createdAt, id) a cursor points after, checked: a bad cursor is the client's error. */
export function keysetPosition(after: string | null | undefined): [Date, string] | undefined {
  if (after == null) return undefined;
  let decoded: unknown;
  try {
    decoded = after.length <= 200 ? Cursor.decode(after) : null;
  } catch {
    decoded = null;
  }
  const [createdAt, id] = Array.isArray(decoded) && decoded.length === 2 ? decoded : [];
  if (!(createdAt instanceof Date) || Number.isNaN(createdAt.getTime()) || !isUuid(id)) {
    throw badInput('Invalid cursor: pass a pageInfo.endCursor from a previous page.');
  }
  return [createdAt, id.toLowerCase()];
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
