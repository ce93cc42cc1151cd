import { ActivityEvent } from './activity-event.js';
import { Comment } from './comment.js';
import { Document } from './document.js';
import { StoredFile } from './file.js';
import { Invitation } from './invitation.js';
import { Membership } from './membership.js';
import { Organization } from './organization.js';
import { PendingSignUp } from './pending-sign-up.js';
import { Placement, PlacementIdentity } from './placement.js';
import { User } from './user.js';

export { ActivityEvent, Comment, Document, Invitation, Membership, Organization, PendingSignUp, Placement, PlacementIdentity, StoredFile, User };
export type { FileStatus } from './file.js';
export { ROLES, type Role } from './membership.js';

export const entities = [Organization, User, Membership, Document, ActivityEvent, Comment, PendingSignUp, Invitation, Placement, PlacementIdentity, StoredFile];

/**
 * The entities the `tenant` filter covers. Kept as an explicit list on purpose: the start-up
 * check compares it with every entity that has an `organizationId`, so a new tenant-owned
 * entity that is not added here stops the server instead of going unfiltered.
 */
export const tenantFilteredEntities = [Membership, Document, ActivityEvent, Comment, Invitation, StoredFile];
