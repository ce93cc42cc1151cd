import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

/**
 * Tenant-owned. `documentId` and `authorId` are composite foreign keys that include
 * `organization_id` (see the migration), so a comment can only name a document and an author
 * of its own organization. Plain ids, not relations, like Document: nothing is joined implicitly.
 */
export const Comment = defineEntity({
  name: 'Comment',
  tableName: 'comment',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    organizationId: p.uuid(),
    documentId: p.uuid(),
    authorId: p.uuid().nullable(),
    body: p.text(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
  }),
});
export type Comment = InferEntity<typeof Comment>;
