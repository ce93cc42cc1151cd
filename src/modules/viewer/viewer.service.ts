import { Membership, Organization, User } from '../../db/entities/index.js';
import { MAX_EMAIL_LENGTH, normalizeEmail } from '../../auth/email.js';
import { MAX_PASSWORD_LENGTH, verifyPassword } from '../../auth/password.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { badInput, forbidden, unauthenticated } from '../../graphql/errors.js';
import { parseId } from '../../graphql/input.js';
import type { AuthPayloadModel, ViewerMembershipModel, ViewerModel } from '../../graphql/models.js';
import { SHARED_PLACEMENT } from '../../tenancy/placement/placement-name.js';
import { inSession } from '../../tenancy/rls-session.js';
import { forkForUser, type TenantEntityManager } from '../../tenancy/tenant-entity-manager.js';
import { authPayload } from './auth-payload.js';

type Ctx = Pick<GraphQLContext, 'config' | 'orm' | 'userId' | 'tenant' | 'em'>;

/**
 * The user's own memberships, across organizations and placements (user scope), from the shared
 * database: its `membership` rows are those of shared organizations and the index of dedicated
 * ones (src/tenancy/placement/membership-index.ts). Inside a tenant request on the shared
 * placement this reuses the request's transaction, which already carries `app.user_id` for
 * row-level security, rather than taking a second connection; otherwise it opens a short one.
 */
function withOwnMemberships<T>(ctx: Ctx, userId: string, work: (em: TenantEntityManager) => Promise<T>): Promise<T> {
  if (ctx.tenant?.placement === SHARED_PLACEMENT && ctx.em.isInTransaction() && ctx.userId === userId) return work(forkForUser(ctx.em, userId));
  return inSession(forkForUser(ctx.orm.em, userId), { userId }, work);
}

export function me(ctx: Ctx): ViewerModel {
  if (!ctx.userId) throw unauthenticated();
  return { userId: ctx.userId, organizationId: ctx.tenant?.organizationId ?? null, role: ctx.tenant?.role ?? null };
}

export async function viewerMemberships(ctx: Ctx, userId: string): Promise<ViewerMembershipModel[]> {
  const rows = await withOwnMemberships(ctx, userId, (em) => em.find(Membership, {}, { orderBy: { createdAt: 'asc' } }));
  return rows.map(({ organizationId, role }) => ({ organizationId, role }));
}

export async function login(ctx: Ctx & Pick<GraphQLContext, 'clientIp' | 'loginThrottle'>, input: { email: string; password: string; organizationId?: string | null }): Promise<AuthPayloadModel> {
  const em = ctx.orm.em.fork(); // users and organizations only: not tenant-owned
  const email = normalizeEmail(input.email);
  // Counted before the password is checked; refused (RATE_LIMITED) while the email or address is locked out.
  const attempt = await ctx.loginThrottle.begin(email, ctx.clientIp);
  // Oversized input is refused before argon2 spends time on it, with the same answer as a wrong password.
  const plausible = email.length <= MAX_EMAIL_LENGTH && input.password.length <= MAX_PASSWORD_LENGTH;
  const user = plausible ? await em.findOne(User, { email }) : null;
  const valid = plausible && (await verifyPassword(user?.passwordHash, input.password));
  if (!valid || !user) throw unauthenticated('Invalid email or password.');
  await attempt.succeeded();

  const wanted =
    ctx.config.mode === 'single_tenant' ? ctx.config.defaultOrganizationId! : input.organizationId ? parseId(input.organizationId, 'organizationId') : null;
  const membership = await withOwnMemberships(ctx, user.id, (own) =>
    wanted ? own.findOne(Membership, { organizationId: wanted }) : own.findOne(Membership, {}, { orderBy: { createdAt: 'asc' } }),
  );
  if (wanted && !membership) throw forbidden('You are not a member of this organization.');
  const organization = membership ? await em.findOneOrFail(Organization, membership.organizationId) : null;
  return authPayload(ctx, user, organization, membership?.role ?? null);
}

export async function switchOrganization(ctx: Ctx, rawOrganizationId: string): Promise<AuthPayloadModel> {
  if (!ctx.userId) throw unauthenticated();
  if (ctx.config.mode === 'single_tenant') throw badInput('This instance serves a single organization: there is nothing to switch to.');
  const organizationId = parseId(rawOrganizationId, 'organizationId');
  const em = ctx.orm.em.fork(); // users and organizations only: not tenant-owned
  const membership = await withOwnMemberships(ctx, ctx.userId, (own) => own.findOne(Membership, { organizationId }));
  if (!membership) throw forbidden('You are not a member of this organization.');
  const [user, organization] = await Promise.all([em.findOneOrFail(User, ctx.userId), em.findOneOrFail(Organization, organizationId)]);
  return authPayload(ctx, user, organization, membership.role);
}
