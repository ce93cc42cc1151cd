import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticate.js';
import type { TokenClaims } from '../auth/tokens.js';
import type { AppConfig } from '../config/index.js';
import { User, type Role } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import type { Mailer } from '../mail/mailer.js';
import type { StorageProvider } from '../storage/index.js';
import type { InvitationThrottle, LoginThrottle, SignUpThrottle } from '../rate-limit/index.js';
import { isUuid } from '../tenancy/organization-id.js';
import { SHARED_PLACEMENT } from '../tenancy/placement/placement-name.js';
import type { TenantRouter } from '../tenancy/placement/tenant-router.js';
import type { TenantSession } from '../tenancy/tenant-session.js';
import { trackRequestTransaction } from '../tenancy/request-transaction.js';
import { TenantEntityManager } from '../tenancy/tenant-entity-manager.js';
import { placementRefusal, unauthenticated } from './errors.js';
import { createLoaders, type Loaders } from './loaders.js';

/** The organization a request acts in, established on the server from a live membership. */
export interface Tenant {
  organizationId: string;
  role: Role;
  /** The placement (database) serving the organization: `shared` or a dedicated one. */
  placement: string;
  /** The request's transaction, with its fixed statements for hot reads (`session.sql`); the request-transaction plugin ends it. */
  session: TenantSession;
}

export interface GraphQLContext {
  requestId: string;
  config: AppConfig;
  /** The shared database's serving ORM (row-level-security role): users, the directory, the membership index. Tenant data: `em`. */
  orm: Orm;
  /** Routes an organization's work to its placement (src/tenancy/placement/). */
  router: TenantRouter;
  log: FastifyBaseLogger;
  /** The signed-in user's id, or null for anonymous requests. */
  userId: string | null;
  /** Null when anonymous, when the token names no organization, or when the membership is gone. */
  tenant: Tenant | null;
  /** Scoped to `tenant`; without a tenant it has no scope and refuses tenant-owned data. */
  em: TenantEntityManager;
  loaders: Loaders;
  /** The client's address (Fastify's request.ip; see TRUST_PROXY): per-address rate limits. */
  clientIp: string;
  /** Counts login attempts per email and address (src/rate-limit/). */
  loginThrottle: LoginThrottle;
  /** Counts sign-ups per address and email, before the password is hashed (src/rate-limit/). */
  signUpThrottle: SignUpThrottle;
  /** Counts invitation emails per organization (src/rate-limit/). */
  invitationThrottle: InvitationThrottle;
  /** Sends sign-up and invitation emails in the background (src/mail/). */
  mailer: Mailer;
  /** Where document files live (src/storage/): signs upload and download URLs. */
  storage: StorageProvider;
  /** The origin signed `local` file URLs start with: STORAGE_PUBLIC_URL, else this request's scheme and host. */
  publicOrigin: string;
}

/** What every request's context shares: the services built once by createServer. */
export type SharedServices = Pick<GraphQLContext, 'loginThrottle' | 'signUpThrottle' | 'invitationThrottle' | 'mailer' | 'storage'>;

export interface ContextDeps extends SharedServices {
  config: AppConfig;
  router: TenantRouter;
  authenticate: Authenticator;
}

export async function buildContext(deps: ContextDeps, request: FastifyRequest): Promise<GraphQLContext> {
  const { config, router } = deps;
  const orm = router.shared;
  const claims = await deps.authenticate(request.headers.authorization);
  const { loginThrottle, signUpThrottle, invitationThrottle, mailer, storage } = deps;
  const publicOrigin = config.storage.publicUrl ?? `${request.protocol}://${request.host}`;
  const base = { requestId: request.id, config, orm, router, log: request.log, clientIp: request.ip, loginThrottle, signUpThrottle, invitationThrottle, mailer, storage, publicOrigin };

  // Without a tenant the EntityManager has no scope: it reads users and organizations only.
  const unscoped = () => orm.em.fork() as TenantEntityManager;
  if (!claims) return withEm(base, null, null, unscoped());

  const wanted = config.mode === 'single_tenant' ? config.defaultOrganizationId : claims.organizationId;
  const organizationId = wanted && isUuid(wanted) ? wanted.toLowerCase() : null;
  if (!organizationId) return withEm(base, await resolveUserId(unscoped(), claims), null, unscoped());
  // A membership implies its user exists (foreign key), so a local token's user is looked up
  // only when the membership check fails: one round trip fewer on every tenant request.
  const userId = claims.userId && isUuid(claims.userId) ? claims.userId.toLowerCase() : await resolveUserId(unscoped(), claims);

  // The whole request runs in one transaction on the organization's placement, carrying the
  // row-level-security settings; requestTransactionPlugin commits it, closeRequestTransaction is
  // the safety net. Membership is checked on every request, in the same round trip, by the
  // placement's own database: a removed member loses access at once, and the role comes from
  // the database, never from the token. A placement that is down or a tenant being moved is
  // refused with a retry hint (SERVICE_UNAVAILABLE, TENANT_MOVING).
  const routed = await router.openSession(organizationId, userId).catch((err: unknown) => {
    throw placementRefusal(err) ?? err;
  });
  if (!routed) return withEm(base, await resolveUserId(unscoped(), claims), null, unscoped());
  const { session, em, placement } = routed;
  trackRequestTransaction(request, session);
  const ctx = withEm(base, userId, { organizationId, role: session.role, placement, session }, em);
  ctx.loaders.user.prime(userId, session.user);
  return ctx;
}

async function resolveUserId(em: TenantEntityManager, claims: TokenClaims): Promise<string> {
  const where = claims.userId && isUuid(claims.userId) ? { id: claims.userId } : claims.email ? { email: claims.email } : null;
  const user = where ? await em.findOne(User, where, { fields: ['id'] }) : null;
  if (!user) throw unauthenticated('Invalid token: unknown user.', 401);
  return user.id;
}

function withEm(
  base: Pick<GraphQLContext, 'requestId' | 'config' | 'orm' | 'router' | 'log' | 'clientIp' | 'publicOrigin'> & SharedServices,
  userId: string | null,
  tenant: Tenant | null,
  em: TenantEntityManager,
): GraphQLContext {
  // The request's own transaction serves organization names too when it is on the shared database.
  const directory = () => (tenant && tenant.placement !== SHARED_PLACEMENT ? base.orm.em.fork() : em);
  return { ...base, userId, tenant, em, loaders: createLoaders(em, directory, tenant?.session.sql) };
}
