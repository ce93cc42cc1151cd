import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** Tenant-owned audit trail. Append-only: the service never updates or deletes events. */
export const ActivityEvent = defineEntity({
  name: 'ActivityEvent',
  tableName: 'activity_event',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    organizationId: p.uuid(),
    actorId: p.uuid().nullable(),
    action: p.text(),
    targetType: p.text().nullable(),
    targetId: p.uuid().nullable(),
    requestId: p.text().nullable(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
  }),
});
export type ActivityEvent = InferEntity<typeof ActivityEvent>;
