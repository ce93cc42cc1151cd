import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticate.js';
import type { TokenClaims } from '../auth/tokens.js';
import type { AppConfig } from '../config/index.js';
import { Membership, User, type Role } from '../db/entities/index.js';
import type { Orm } from '../db/orm.js';
import { isUuid } from '../tenancy/organization-id.js';
import { forkForTenant, TenantEntityManager } from '../tenancy/tenant-entity-manager.js';
import { unauthenticated } from './errors.js';
import { createLoaders, type Loaders } from './loaders.js';

/** The organization a request acts in, established on the server from a live membership. */
export interface Tenant {
  organizationId: string;
  role: Role;
}

export interface GraphQLContext {
  requestId: string;
  config: AppConfig;
  orm: Orm;
  log: FastifyBaseLogger;
  /** The signed-in user's id, or null for anonymous requests. */
  userId: string | null;
  /** Null when anonymous, when the token names no organization, or when the membership is gone. */
  tenant: Tenant | null;
  /** Scoped to `tenant`; without a tenant it has no scope and refuses tenant-owned data. */
  em: TenantEntityManager;
  loaders: Loaders;
}

export interface ContextDeps {
  config: AppConfig;
  orm: Orm;
  authenticate: Authenticator;
}

export async function buildContext(deps: ContextDeps, request: FastifyRequest): Promise<GraphQLContext> {
  const { config, orm } = deps;
  const claims = await deps.authenticate(request.headers.authorization);
  const base = { requestId: request.id, config, orm, log: request.log };

  if (!claims) return withEm(base, null, null, orm.em.fork() as TenantEntityManager);

  const wanted = config.mode === 'single_tenant' ? config.defaultOrganizationId : claims.organizationId;
  const organizationId = wanted && isUuid(wanted) ? wanted.toLowerCase() : null;
  const em = organizationId ? forkForTenant(orm.em, organizationId) : (orm.em.fork() as TenantEntityManager);
  const userId = await resolveUserId(em, claims);

  // Membership is checked on every request: a removed member loses access at once,
  // and the role comes from the database, never from the token.
  const membership = organizationId ? await em.findOne(Membership, { organizationId, userId }) : null;
  const tenant = membership ? { organizationId: membership.organizationId, role: membership.role } : null;
  return withEm(base, userId, tenant, tenant ? em : (orm.em.fork() as TenantEntityManager));
}

async function resolveUserId(em: TenantEntityManager, claims: TokenClaims): Promise<string> {
  const where = claims.userId && isUuid(claims.userId) ? { id: claims.userId } : claims.email ? { email: claims.email } : null;
  const user = where ? await em.findOne(User, where, { fields: ['id'] }) : null;
  if (!user) throw unauthenticated('Invalid token: unknown user.', 401);
  return user.id;
}

function withEm(
  base: Pick<GraphQLContext, 'requestId' | 'config' | 'orm' | 'log'>,
  userId: string | null,
  tenant: Tenant | null,
  em: TenantEntityManager,
): GraphQLContext {
  return { ...base, userId, tenant, em, loaders: createLoaders(em) };
}
