import { Migration20261127000000_core } from './Migration20261127000000_core.js';

/** Listed explicitly so migrations load the same under tsx, vitest and the CLI. Append new ones. */
export const migrationsList = [{ name: 'Migration20261127000000_core', class: Migration20261127000000_core }];
