import { Migration20261127000000_core } from './Migration20261127000000_core.js';
import { Migration20261127010000_rls } from './Migration20261127010000_rls.js';
import { Migration20261127020000_session } from './Migration20261127020000_session.js';
import { Migration20261127030000_comment } from './Migration20261127030000_comment.js';
import { Migration20261201000000_normalize_emails } from './Migration20261201000000_normalize_emails.js';
import { Migration20261201010000_sign_up_invitation } from './Migration20261201010000_sign_up_invitation.js';

/** Listed explicitly so migrations load the same under tsx, vitest and the CLI. Append new ones. */
export const migrationsList = [
  { name: 'Migration20261127000000_core', class: Migration20261127000000_core },
  { name: 'Migration20261127010000_rls', class: Migration20261127010000_rls },
  { name: 'Migration20261127020000_session', class: Migration20261127020000_session },
  { name: 'Migration20261127030000_comment', class: Migration20261127030000_comment },
  { name: 'Migration20261201000000_normalize_emails', class: Migration20261201000000_normalize_emails },
  { name: 'Migration20261201010000_sign_up_invitation', class: Migration20261201010000_sign_up_invitation },
];
