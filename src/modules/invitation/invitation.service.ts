import { LockMode } from '@mikro-orm/core';
import { assertRole } from '../../auth/roles.js';
import { hashSecret } from '../../auth/one-time-token.js';
import { Invitation, Membership, User, type Role } from '../../db/entities/index.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { badInput, notFound } from '../../graphql/errors.js';
import { email as parseEmail, parseId } from '../../graphql/input.js';
import { invitation as invitationMessage } from '../../mail/messages.js';
import type { RequestScope } from '../../tenancy/request-scope.js';
import { audited, requireRoleAudited } from '../audited.js';
import { newInvitationToken } from './invitation-token.js';

/**
 * How long an invitation works: 7 days. Someone invited does not expect it and may be away for
 * a week; past that a forgotten token should be worth nothing. GitHub's organization
 * invitations expire after the same 7 days.
 */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Pending: neither accepted nor revoked, and not expired (at `now`). */
export const isPending = (invitation: Invitation, now = Date.now()) =>
  !invitation.acceptedAt && !invitation.revokedAt && invitation.expiresAt.getTime() > now;

/** Pending invitations of the organization, newest first. ADMIN or above (FORBIDDEN otherwise, recorded as `invitation.list.denied`). */
export async function listInvitations(scope: RequestScope): Promise<Invitation[]> {
  await requireRoleAudited(scope, { action: 'invitation.list', requires: 'ADMIN', describe: 'Listing invitations' });
  return scope.em.find(Invitation, { acceptedAt: null, revokedAt: null, expiresAt: { $gt: new Date() } }, { orderBy: { createdAt: 'desc', id: 'desc' } });
}

type Services = Pick<GraphQLContext, 'mailer' | 'invitationThrottle' | 'loaders'>;

/**
 * Invites an address (normalized) as `role`: stores the invitation (its token's hash), revokes a
 * pending one to the same address, records `invitation.create` in the same transaction, then
 * queues the email. The answer does not depend on whether the address has an account: no user
 * is linked until acceptance. ADMIN or above; OWNER to invite an OWNER (FORBIDDEN, audited).
 * BAD_USER_INPUT for a malformed email or an address that is already a member here (which
 * `members` shows anyway); RATE_LIMITED past the organization's invitation emails per window.
 */
export async function inviteMember(scope: RequestScope, services: Services, input: { email: string; role: Role }): Promise<Invitation> {
  const email = parseEmail(input.email);
  const requires = input.role === 'OWNER' ? 'OWNER' : 'ADMIN';
  const describe = input.role === 'OWNER' ? 'Inviting an OWNER' : 'Inviting members';
  const { token, secret } = newInvitationToken(scope.organizationId);
  const invitation = await audited(scope, { action: 'invitation.create', target: { type: 'Invitation' }, requires, describe }, async (em) => {
    const user = await em.findOne(User, { email }, { fields: ['id'] });
    if (user && (await em.findOne(Membership, { userId: user.id }))) throw badInput('This address belongs to a member of the organization already.');
    await services.invitationThrottle.begin(scope.organizationId);
    const now = new Date();
    await em.nativeUpdate(Invitation, { email, acceptedAt: null, revokedAt: null }, { revokedAt: now });
    return em.create(Invitation, {
      organizationId: scope.organizationId,
      email,
      role: input.role,
      tokenHash: hashSecret(secret),
      invitedById: scope.userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
    });
  });
  const [organization, inviter] = await Promise.all([services.loaders.organization.load(scope.organizationId), services.loaders.user.load(scope.userId)]);
  services.mailer.send(
    'invitation',
    invitationMessage(email, { organizationName: organization!.name, invitedBy: inviter!.name, role: input.role, token, expiresAt: invitation.expiresAt }),
  );
  return invitation;
}

/**
 * Revokes a pending invitation (its token stops working). ADMIN or above; OWNER for an OWNER's
 * invitation. NOT_FOUND for an unknown id and another organization's alike (audited as
 * `invitation.revoke.denied`); BAD_USER_INPUT when it is no longer pending. Returns the id.
 */
export function revokeInvitation(scope: RequestScope, rawId: string): Promise<string> {
  const id = parseId(rawId, 'id');
  return audited(scope, { action: 'invitation.revoke', target: { type: 'Invitation', id }, requires: 'ADMIN', describe: 'Revoking invitations' }, async (em) => {
    const invitation = await em.findOne(Invitation, id, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!invitation) throw notFound('Invitation');
    if (invitation.role === 'OWNER') assertRole(scope, 'OWNER', "Revoking an OWNER's invitation");
    if (!isPending(invitation)) throw badInput('This invitation is no longer pending.');
    invitation.revokedAt = new Date();
    return id;
  });
}
