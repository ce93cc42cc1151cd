import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** The tenant itself. Not tenant-owned: it has no `organization_id`, it is the thing others point at. */
export const Organization = defineEntity({
  name: 'Organization',
  tableName: 'organization',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    name: p.text(),
    slug: p.text().unique('organization_slug_key'),
    createdAt: p.datetime(3).onCreate(() => new Date()),
  }),
});
export type Organization = InferEntity<typeof Organization>;
