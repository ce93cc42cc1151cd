import { randomUUID } from 'node:crypto';
import { normalizeEmail } from '../../auth/email.js';
import { Membership, User } from '../../db/entities/index.js';
import type { Orm } from '../../db/orm.js';
import { createOrganization } from '../../modules/viewer/slug.js';
import { inSession } from '../rls-session.js';
import { forkForTenant } from '../tenant-entity-manager.js';
import { organizationNameProblem, ownerEmailProblem, tierProblem } from './organization-fields.js';
import type { PlacementPools } from './placement-pools.js';
import { provisionOnPlacement } from './provision.js';

/** What an operator asks for: an organization on a given placement, owned by an existing account. */
export interface NewOrganization {
  /** Display name, 1 to 100 characters once trimmed, no control characters (organizationNameProblem). */
  name: string;
  /** The owner's email, in any spelling: normalized as everywhere (src/auth/email.ts). */
  ownerEmail: string;
  /** `shared` or a dedicated placement's name. */
  placement: string;
  /** The service-level label (tierProblem): defaults to `standard`; no behaviour depends on it yet. */
  tier?: string;
}

/** The organization as created. */
export interface CreatedOrganization {
  id: string;
  slug: string;
  name: string;
  placement: string;
  tier: string;
  ownerId: string;
}

/** The request cannot be carried out as asked; `message` is one sentence for the operator. */
export class OrganizationCreationError extends Error {
  override name = 'OrganizationCreationError';
}

/**
 * Provisions an organization directly on a placement (the design guide's "enterprise customer on
 * its own infrastructure"), in the order sign-up uses (src/modules/viewer/sign-up.service.ts):
 * in one transaction on the shared database, under row-level security as the new organization,
 * the directory row (slug `<name>-<random suffix>`, src/modules/viewer/slug.ts) and the owner's
 * membership (on a dedicated placement, the membership index); then, before that transaction
 * commits, provisionOnPlacement writes the placement's own organization row, the owner's user
 * copy and membership there. A placement that fails leaves nothing in the directory.
 *
 * `shared`: the shared database's serving ORM; `pools`: every placement's (their names are the
 * known placements). Throws OrganizationCreationError for a bad name or tier, an unknown
 * placement or an owner without an account; PlacementUnavailableError when the placement cannot
 * be reached or is refused.
 */
export async function createOrganizationOnPlacement(shared: Orm, pools: PlacementPools, input: NewOrganization): Promise<CreatedOrganization> {
  // The field rules first (organization-fields.ts), then what only the deployment can answer.
  const problem = organizationNameProblem(input.name) ?? tierProblem(input.tier ?? 'standard') ?? ownerEmailProblem(input.ownerEmail);
  if (problem) throw new OrganizationCreationError(problem);
  const name = input.name.trim();
  const tier = input.tier ?? 'standard';
  const placement = input.placement;
  if (!pools.names().includes(placement)) {
    throw new OrganizationCreationError(`There is no placement "${placement}": the placements are ${pools.names().join(', ')}.`);
  }
  const email = normalizeEmail(input.ownerEmail);

  const id = randomUUID();
  const em = forkForTenant(shared.em, id);
  // The owner is looked up first, outside the organization's session: a user row is global.
  const owner = await shared.em.fork().findOne(User, { email });
  if (!owner) throw new OrganizationCreationError(`No account has the email ${email}: the owner must sign up first.`);
  return inSession(em, { organizationId: id, userId: owner.id }, async (tx) => {
    const organization = await createOrganization(tx, { id, name, placement, tier });
    tx.create(Membership, { organizationId: id, userId: owner.id, role: 'OWNER' });
    await tx.flush();
    await provisionOnPlacement(pools, placement, organization, { id: owner.id, email: owner.email, name: owner.name, createdAt: owner.createdAt, role: 'OWNER' });
    return { id, slug: organization.slug, name, placement, tier, ownerId: owner.id };
  });
}
