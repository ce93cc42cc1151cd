import type { Role } from '../db/entities/index.js';
import { forbidden } from '../graphql/errors.js';

const RANK: Record<Role, number> = { VIEWER: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };

export const atLeast = (role: Role, minimum: Role) => RANK[role] >= RANK[minimum];

export function assertRole(scope: { role: Role }, minimum: Role, action: string): void {
  if (!atLeast(scope.role, minimum)) throw forbidden(`${action} needs the ${minimum} role or higher.`);
}
