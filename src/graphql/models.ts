import type { Comment, Document, Organization, Role, User } from '../db/entities/index.js';

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

/** A user as GraphQL shows it: the entity, or the columns read together with a document. */
export type UserRecord = Pick<User, 'id' | 'email' | 'name' | 'createdAt'>;

/**
 * A document as GraphQL shows it: the entity after a write, or a row from a fixed read
 * (modules/document/document.queries.ts), which carries its author so that none is looked up.
 */
export type DocumentRecord = Pick<Document, 'id' | 'organizationId' | 'title' | 'body' | 'createdById' | 'createdAt' | 'updatedAt' | 'archivedAt'> & {
  author?: UserRecord | null;
};

/** A comment as GraphQL shows it: the entity after addComment, or a row of comment.queries.ts with its author. */
export type CommentRecord = Pick<Comment, 'id' | 'organizationId' | 'documentId' | 'authorId' | 'body' | 'createdAt'> & {
  author?: UserRecord | null;
};
