import type { Organization, Role, User } from '../db/entities/index.js';

// Shapes that back GraphQL types which are not entities (see codegen.ts `mappers`).

/** `me`: resolved lazily from the request context. */
export interface ViewerModel {
  userId: string;
  organizationId: string | null;
  role: Role | null;
}

/** One of the viewer's own memberships: read by user id, across organizations, on purpose. */
export interface ViewerMembershipModel {
  organizationId: string;
  role: Role;
}

export interface AuthPayloadModel {
  accessToken: string;
  expiresAt: Date;
  user: User;
  organization: Organization | null;
}
