import { defineEntity, type InferEntity } from '@mikro-orm/core';

/**
 * A placement created on the embedded server by `npm run tenant -- placements create` (shared
 * database only): its URL is the shared database's with `databaseName`. Configured placements
 * (PLACEMENT_<NAME>_URL) are not listed here: their URLs come from configuration only.
 */
export const Placement = defineEntity({
  name: 'Placement',
  tableName: 'placement',
  properties: (p) => ({
    name: p.text().primary(),
    databaseName: p.text().unique('placement_database_name_key'),
    createdAt: p.datetime(3).onCreate(() => new Date()),
  }),
});
export type Placement = InferEntity<typeof Placement>;

/** Which placement this database is (one row; none reads as `shared`): see the placement migration. */
export const PlacementIdentity = defineEntity({
  name: 'PlacementIdentity',
  tableName: 'placement_identity',
  properties: (p) => ({
    onlyRow: p.boolean().primary().default(true),
    name: p.text(),
  }),
});
export type PlacementIdentity = InferEntity<typeof PlacementIdentity>;
