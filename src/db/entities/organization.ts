import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** An organization's lifecycle in the directory (issue 10; moves and erasure use the others). */
export const ORGANIZATION_STATES = ['active', 'moving', 'archived', 'erased'] as const;
export type OrganizationState = (typeof ORGANIZATION_STATES)[number];

/**
 * The tenant itself. Not tenant-owned: it has no `organization_id`, it is the thing others point at.
 * In the shared database its rows are the directory (placement, tier, state, epoch: see the
 * placement migration); in a dedicated placement, that placement's record of whom it serves.
 */
export const Organization = defineEntity({
  name: 'Organization',
  tableName: 'organization',
  properties: (p) => ({
    id: p.uuid().primary().onCreate(() => randomUUID()),
    name: p.text(),
    slug: p.text().unique('organization_slug_key'),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    /** The placement serving it (`shared` or a PLACEMENT_<NAME>_URL name). */
    placement: p.text().default('shared'),
    tier: p.text().default('standard'),
    /** One of ORGANIZATION_STATES (a CHECK constraint in the placement migration). */
    state: p.text().$type<OrganizationState>().default('active'),
    /** Raised by every switch of placement; requests route by it and the database fences on it. */
    placementEpoch: p.integer().default(1),
  }),
});
export type Organization = InferEntity<typeof Organization>;
