import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/** Actions the tenant-mobility tools record in the organization's own audit trail (activity_event). */
export type MobilityAction = 'organization.export' | 'organization.import';

/**
 * Appends an event to the organization's audit trail, in the caller's transaction on the
 * placement that serves it (with app.organization_id set, so row-level security admits the
 * row): no actor (an operator at the command line, not a member), the organization as target,
 * `request_id` naming the tool. It commits or rolls back with the work it records.
 */
export async function recordMobilityEvent(client: pg.Client, organizationId: string, action: MobilityAction): Promise<void> {
  await client.query(
    `insert into "activity_event" ("organization_id", "id", "actor_id", "action", "target_type", "target_id", "request_id", "created_at")
     values ($1, $2, null, $3, 'organization', $1, 'npm run tenant', now())`,
    [organizationId, randomUUID(), action],
  );
}
