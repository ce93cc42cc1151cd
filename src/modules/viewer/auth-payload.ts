import { issueToken } from '../../auth/tokens.js';
import type { Organization, Role, User } from '../../db/entities/index.js';
import type { GraphQLContext } from '../../graphql/context.js';
import type { AuthPayloadModel } from '../../graphql/models.js';

/**
 * A signed-in answer (AuthPayload): a new token for `user`, naming `organization` as the active
 * one (single-tenant tokens name none: every request acts in the instance's organization).
 */
export async function authPayload(ctx: Pick<GraphQLContext, 'config'>, user: User, organization: Organization | null, role: Role | null): Promise<AuthPayloadModel> {
  const singleTenant = ctx.config.mode === 'single_tenant';
  const token = await issueToken(ctx.config.jwt, { userId: user.id, organizationId: singleTenant ? null : organization?.id, role });
  return { ...token, user, organization };
}
