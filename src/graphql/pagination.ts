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
  if (after == null) return undefined;
  let decoded: unknown;
  try {
    decoded = after.length <= 200 ? Cursor.decode(after) : null;
  } catch {
    decoded = null;
  }
  const ok =
    Array.isArray(decoded) && decoded.length === 2 && decoded[0] instanceof Date && !Number.isNaN(decoded[0].getTime()) && isUuid(decoded[1]);
  if (!ok) throw badInput('Invalid cursor: pass a pageInfo.endCursor from a previous page.');
  return after;
}

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
