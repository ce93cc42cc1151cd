import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** Tenant-owned. `createdById` references a membership of the same organization (see the migration). */
export const Document = defineEntity({
  name: 'Document',
  tableName: 'document',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    organizationId: p.uuid(),
    title: p.text(),
    body: p.text().nullable(),
    createdById: p.uuid().nullable(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    updatedAt: p.datetime(3).onCreate(() => new Date()).onUpdate(() => new Date()),
    archivedAt: p.datetime(3).nullable(),
  }),
});
export type Document = InferEntity<typeof Document>;
