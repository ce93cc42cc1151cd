import { LockMode } from '@mikro-orm/core';
import { Membership } from '../../db/entities/index.js';
import { assertRole } from '../../auth/roles.js';
import { badInput, notFound } from '../../graphql/errors.js';
import { parseId } from '../../graphql/input.js';
import { recordMembershipIndex } from '../../tenancy/placement/membership-index.js';
import type { RequestScope } from '../../tenancy/request-scope.js';
import { audited } from '../audited.js';

export function listMembers(scope: RequestScope) {
  return scope.em.find(Membership, {}, { orderBy: { createdAt: 'asc', userId: 'asc' } });
}

export async function removeMember(scope: RequestScope, rawUserId: string): Promise<string> {
  const userId = parseId(rawUserId, 'userId');
  const leaving = userId === scope.userId;
  const requires = leaving ? undefined : 'ADMIN';
  return audited(scope, { action: 'member.remove', target: { type: 'User', id: userId }, requires, describe: 'Removing members' }, async (em) => {
    const membership = await em.findOne(Membership, { userId });
    if (!membership) throw notFound('Member');
    if (membership.role === 'OWNER') {
      if (!leaving) assertRole(scope, 'OWNER', 'Removing an OWNER');
      // Lock the owners so two concurrent removals cannot both pass this check.
      const owners = await em.find(Membership, { role: 'OWNER' }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (owners.length <= 1) throw badInput('The last OWNER cannot be removed.');
    }
    em.remove(membership);
    await recordMembershipIndex(scope.shared, scope.placement, { organizationId: scope.organizationId, userId, role: null });
    return userId;
  });
}
