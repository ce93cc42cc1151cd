import { LockMode } from '@mikro-orm/core';
import { Membership, User, type Role } from '../../db/entities/index.js';
import { assertRole } from '../../auth/roles.js';
import { badInput, notFound } from '../../graphql/errors.js';
import { email as parseEmail, parseId } from '../../graphql/input.js';
import type { RequestScope } from '../../tenancy/request-scope.js';
import { recordDenied } from '../activity/activity.service.js';
import { audited } from '../audited.js';

export function listMembers(scope: RequestScope) {
  return scope.em.find(Membership, {}, { orderBy: { createdAt: 'asc', userId: 'asc' } });
}

export async function addMember(scope: RequestScope, input: { email: string; role: Role }) {
  assertRole(scope, 'ADMIN', 'Adding members');
  if (input.role === 'OWNER') assertRole(scope, 'OWNER', 'Granting OWNER');
  const user = await scope.em.findOne(User, { email: parseEmail(input.email) });
  if (!user) {
    await recordDenied(scope, 'member.add', { type: 'User' });
    throw notFound('User');
  }
  return audited(scope, 'member.add', { type: 'User', id: user.id }, async (em) => {
    if (await em.findOne(Membership, { userId: user.id })) throw badInput('This user is already a member.');
    return em.create(Membership, { organizationId: scope.organizationId, userId: user.id, role: input.role });
  });
}

export async function removeMember(scope: RequestScope, rawUserId: string): Promise<string> {
  const userId = parseId(rawUserId, 'userId');
  const leaving = userId === scope.userId;
  if (!leaving) assertRole(scope, 'ADMIN', 'Removing members');
  return audited(scope, 'member.remove', { type: 'User', id: userId }, async (em) => {
    const membership = await em.findOne(Membership, { userId });
    if (!membership) throw notFound('Member');
    if (membership.role === 'OWNER') {
      if (!leaving) assertRole(scope, 'OWNER', 'Removing an OWNER');
      // Lock the owners so two concurrent removals cannot both pass this check.
      const owners = await em.find(Membership, { role: 'OWNER' }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (owners.length <= 1) throw badInput('The last OWNER cannot be removed.');
    }
    em.remove(membership);
    return userId;
  });
}
