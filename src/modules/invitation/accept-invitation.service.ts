import { LockMode } from '@mikro-orm/core';
import { hashSecret } from '../../auth/one-time-token.js';
import { Invitation, Membership, Organization, User } from '../../db/entities/index.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { AppError, badInput, forbidden, unauthenticated } from '../../graphql/errors.js';
import type { AuthPayloadModel } from '../../graphql/models.js';
import { recordMembershipIndex } from '../../tenancy/placement/membership-index.js';
import { ensureUserCopy } from '../../tenancy/placement/user-copy.js';
import { checkDeferredConstraints } from '../../tenancy/rls-session.js';
import { scopeOf } from '../../tenancy/request-scope.js';
import { recordActivity, recordDenied, type Actor } from '../activity/activity.service.js';
import { authPayload } from '../viewer/auth-payload.js';
import { parseInvitationToken } from './invitation-token.js';
import { isPending } from './invitation.service.js';

const invalidToken = () => badInput('This invitation token is invalid, used, revoked or expired: ask for a new invitation.');

/**
 * The signed-in user joins the organization the token names, as the invited role, and gets a
 * token acting in it (AuthPayload). Runs in that organization's own tenant session (row-level
 * security set to it, the new member as user), never with a system scope: the invitation is
 * found by its token's hash under the tenant filter and the policy. The membership, the
 * invitation's acceptance and the `invitation.accept` event commit together.
 * UNAUTHENTICATED without a token; BAD_USER_INPUT for a malformed, unknown, used, revoked or
 * expired token (one message for all: a forged organization id answers like a wrong secret) or
 * a user who is a member already; FORBIDDEN when the user's normalized email is not the invited
 * one. That refusal is recorded as `invitation.accept.denied` (only a real token gets that far)
 * in the caller's own organization's trail (the one the caller's token acts in), and nowhere
 * when the token names none: the caller is no member of the inviting organization, whose
 * trail must not show a stranger's identity (README, Known limits: "Denied cross-organization
 * attempts are recorded in the caller's audit trail only").
 */
export async function acceptInvitation(ctx: GraphQLContext, token: string): Promise<AuthPayloadModel> {
  if (!ctx.userId) throw unauthenticated();
  const parsed = parseInvitationToken(token);
  if (!parsed) throw invalidToken();
  const actor: Actor = { organizationId: parsed.organizationId, userId: ctx.userId, requestId: ctx.requestId };
  let refused: string | undefined;
  // The account lives in the shared database; a dedicated placement gets a copy (without the
  // password hash) for its foreign keys and member names.
  const user = await ctx.orm.em.fork().findOneOrFail(User, ctx.userId);
  try {
    const accepted = await ctx.router.inTenantSession(parsed.organizationId, { userId: ctx.userId }, async (tx, placement) => {
      const invitation = await tx.findOne(Invitation, { tokenHash: hashSecret(parsed.secret) }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!invitation || !isPending(invitation)) throw invalidToken();
      if (user.email !== invitation.email) {
        refused = invitation.id;
        throw forbidden('This invitation was sent to another email address: sign in with that one.');
      }
      if (await tx.findOne(Membership, { userId: user.id })) throw badInput('You are a member of this organization already.');

      await ensureUserCopy(tx, user);
      tx.create(Membership, { organizationId: parsed.organizationId, userId: user.id, role: invitation.role });
      invitation.acceptedAt = new Date();
      invitation.acceptedById = user.id;
      recordActivity(tx, actor, 'invitation.accept', { type: 'Invitation', id: invitation.id });
      await tx.flush();
      await checkDeferredConstraints(tx);
      await recordMembershipIndex(ctx.orm, placement, { organizationId: parsed.organizationId, userId: user.id, role: invitation.role });
      const organization = await ctx.orm.em.fork().findOneOrFail(Organization, parsed.organizationId);
      return authPayload(ctx, user, organization, invitation.role);
    });
    if (!accepted) throw invalidToken();
    return accepted.value;
  } catch (err) {
    // In the request's own transaction (the caller's organization): the inviting organization's
    // transaction rolled back, and its trail is not the caller's.
    if (refused && ctx.tenant && err instanceof AppError && err.extensions.code === 'FORBIDDEN') {
      await recordDenied(scopeOf(ctx), 'invitation.accept', { type: 'Invitation', id: refused });
    }
    throw err;
  }
}
