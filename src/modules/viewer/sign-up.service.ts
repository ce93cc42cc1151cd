import { randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../auth/password.js';
import { hashSecret, isSecret, newSecret } from '../../auth/one-time-token.js';
import { Membership, Organization, PendingSignUp, User, type Role } from '../../db/entities/index.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { badInput } from '../../graphql/errors.js';
import { email as parseEmail, line, text } from '../../graphql/input.js';
import type { AuthPayloadModel } from '../../graphql/models.js';
import { accountAlreadyExists, signUpConfirmation } from '../../mail/messages.js';
import { provisionOnPlacement } from '../../tenancy/placement/provision.js';
import { inSession } from '../../tenancy/rls-session.js';
import { forkForTenant, type TenantEntityManager } from '../../tenancy/tenant-entity-manager.js';
import { authPayload } from './auth-payload.js';
import { createOrganization } from './slug.js';

type Ctx = Pick<GraphQLContext, 'config' | 'orm' | 'clientIp' | 'signUpThrottle' | 'mailer'>;

/**
 * How long a confirmation token works: 24 hours. Long enough for a delayed email or for
 * someone who signs up in the evening and reads their mail the next morning; short enough that
 * a token left in an old mailbox is soon worth nothing. The usual span for such links.
 */
export const SIGN_UP_TTL_MS = 24 * 60 * 60 * 1000;

/** The one answer of signUp, for taken and free addresses alike. */
export const SIGN_UP_ANSWER = 'Check your inbox: we sent an email to this address with what to do next.';

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
  organizationName?: string | null;
}

/**
 * Asks for an account. Whether the address is free or already has an account, the caller gets
 * the same answer (`SIGN_UP_ANSWER`, HTTP 200) after the same work: the sign-up is counted
 * (SignUpThrottle: RATE_LIMITED per address and per email), the password is hashed (argon2id,
 * the bulk of the time), the user table is read in one transaction, and one email is queued
 * (the mailer sends in the background). Only the email differs: a confirmation token to a free
 * address (stored as a pending sign-up, its hash only), a note to a taken one.
 * BAD_USER_INPUT for a malformed email, a name or organization name of 0 or over 100 characters,
 * a password under 10 or over 200 characters: those depend on the input alone.
 */
export async function signUp(ctx: Ctx, input: SignUpInput): Promise<{ message: string }> {
  const email = parseEmail(input.email);
  const name = line(input.name, 'name', { min: 1, max: 100 });
  const password = text(input.password, 'password', { min: MIN_PASSWORD_LENGTH, max: MAX_PASSWORD_LENGTH });
  const wantsOrganization = ctx.config.mode === 'multi_tenant' && input.organizationName != null;
  const organizationName = wantsOrganization ? line(input.organizationName!, 'organizationName', { min: 1, max: 100 }) : null;

  await ctx.signUpThrottle.begin(email, ctx.clientIp); // before the expensive part
  const passwordHash = await hashPassword(password); // on both paths: the time tells nothing
  const secret = newSecret();
  const expiresAt = new Date(Date.now() + SIGN_UP_TTL_MS);

  const em = ctx.orm.em.fork(); // global tables only: user and pending_sign_up
  const taken = await em.transactional(async (tx) => {
    await tx.nativeDelete(PendingSignUp, { expiresAt: { $lt: new Date() } });
    const existing = await tx.findOne(User, { email }, { fields: ['id'] });
    if (!existing) tx.create(PendingSignUp, { email, name, passwordHash, organizationName, tokenHash: hashSecret(secret), expiresAt });
    return existing !== null;
  });
  if (taken) ctx.mailer.send('sign-up.account-exists', accountAlreadyExists(email));
  else ctx.mailer.send('sign-up.confirm', signUpConfirmation(email, name, secret, expiresAt));
  return { message: SIGN_UP_ANSWER };
}

const invalidToken = () => badInput('This confirmation token is invalid, used or expired: sign up again.');

/**
 * Creates the account of a pending sign-up and signs in (AuthPayload). The token works once:
 * the pending sign-up, and every other one of the same address, is deleted in the transaction
 * that creates the user. Multi-tenant: the organization asked for is created with the user as
 * OWNER (slug: modules/viewer/slug.ts), or none. Single-tenant: the user joins the instance's
 * organization, the first as OWNER, later ones as MEMBER. Runs as the new member of that
 * organization, under row-level security. BAD_USER_INPUT for a token that is malformed,
 * unknown, used or expired (one message for all), and when the address got an account meanwhile.
 */
export async function confirmSignUp(ctx: Pick<GraphQLContext, 'config' | 'orm' | 'router'>, token: string): Promise<AuthPayloadModel> {
  if (!isSecret(token)) throw invalidToken();
  const singleTenant = ctx.config.mode === 'single_tenant';
  const organizationId = singleTenant ? ctx.config.defaultOrganizationId! : randomUUID();
  const userId = randomUUID();
  try {
    return await inSession(forkForTenant(ctx.orm.em, organizationId), { organizationId, userId }, async (tx) => {
      // Locked: two confirmations of one token cannot both pass (the second finds it deleted).
      const pending = await tx.findOne(PendingSignUp, { tokenHash: hashSecret(token) }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!pending || pending.expiresAt.getTime() <= Date.now()) throw invalidToken();
      await tx.nativeDelete(PendingSignUp, { email: pending.email });
      if (await tx.findOne(User, { email: pending.email }, { fields: ['id'] })) throw alreadyExists();

      const user = tx.create(User, { id: userId, email: pending.email, name: pending.name, passwordHash: pending.passwordHash });
      // A new organization goes to DEFAULT_PLACEMENT: its directory row and (for a dedicated
      // placement) membership index here, its own rows there, before this transaction commits.
      const placement = ctx.config.placements.defaultPlacement;
      const joined = singleTenant
        ? await joinInstanceOrganization(tx, organizationId)
        : pending.organizationName
          ? { organization: await createOrganization(tx, { id: organizationId, name: pending.organizationName, placement }), role: 'OWNER' as const }
          : null;
      if (joined) tx.create(Membership, { organizationId: joined.organization.id, userId, role: joined.role });
      await tx.flush();
      if (joined && !singleTenant) await provisionOnPlacement(ctx.router.pools, placement, joined.organization, { ...user, role: joined.role });
      return authPayload(ctx, user, joined?.organization ?? null, joined?.role ?? null);
    });
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException && err.message.includes('user_email_key')) throw alreadyExists();
    throw err;
  }
}

const alreadyExists = () => badInput('An account with this email already exists: sign in.');

/** Single-tenant: the organization is locked so that two first sign-ups cannot both become OWNER. */
async function joinInstanceOrganization(tx: TenantEntityManager, organizationId: string): Promise<{ organization: Organization; role: Role }> {
  const organization = await tx.findOneOrFail(Organization, organizationId, { lockMode: LockMode.PESSIMISTIC_WRITE });
  const role: Role = (await tx.count(Membership, {})) === 0 ? 'OWNER' : 'MEMBER';
  return { organization, role };
}
