import { randomBytes, randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/auth/password.js';
import { issueToken } from '../../src/auth/tokens.js';
import { Document, Membership, Organization, User, type Role } from '../../src/db/entities/index.js';
import { SHARED_PLACEMENT } from '../../src/tenancy/placement/placement-name.js';
import { userCopy } from '../../src/tenancy/placement/user-copy.js';
import { forkForSystem } from '../../src/tenancy/tenant-entity-manager.js';
import type { TestApp } from './app.js';

export const TEST_PASSWORD = 'correct horse battery staple';
let passwordHash: Promise<string> | undefined;

export interface TestUser {
  id: string;
  email: string;
  role: Role;
  /** A real token from the server's own signer, naming this organization. */
  token: string;
}

export interface TestOrg {
  id: string;
  name: string;
  /** The placement holding its rows (`shared` or a dedicated one). */
  placement: string;
  owner: TestUser;
  users: TestUser[];
  documents: { id: string; title: string }[];
}

const unique = () => randomBytes(5).toString('hex');

/**
 * An organization of its own for one test: users with the given roles (the first is OWNER)
 * and `documents` documents. Written straight to the database, like an existing customer.
 */
export async function createOrg(app: TestApp, opts: { roles?: Role[]; documents?: number; name?: string; placement?: string } = {}): Promise<TestOrg> {
  const roles = opts.roles ?? ['OWNER'];
  const placement = opts.placement ?? app.nextPlacement();
  // The directory, the accounts and the membership index are in the shared database; a
  // dedicated placement holds the organization's own rows (and copies of its users).
  const directory = forkForSystem(app.orm.em, 'test factory: directory');
  const em = placement === SHARED_PLACEMENT ? directory : forkForSystem(app.placementOwners[placement]!.em, 'test factory: placement');
  const hash = await (passwordHash ??= hashPassword(TEST_PASSWORD));
  const tag = unique();
  const orgId = app.config.mode === 'single_tenant' ? app.config.defaultOrganizationId! : randomUUID();
  const name = opts.name ?? `Org ${tag}`;
  if (app.config.mode !== 'single_tenant') {
    directory.create(Organization, { id: orgId, name, slug: `org-${tag}`, placement });
    if (em !== directory) em.create(Organization, { id: orgId, name, slug: `org-${tag}`, placement });
  }

  const users = roles.map((role, i) => {
    const user = directory.create(User, { id: randomUUID(), email: `user${i}-${tag}@example.test`, name: `User ${i} ${tag}`, passwordHash: hash, createdAt: new Date() });
    directory.create(Membership, { organizationId: orgId, userId: user.id, role });
    if (em !== directory) {
      em.create(User, userCopy(user));
      em.create(Membership, { organizationId: orgId, userId: user.id, role });
    }
    return { id: user.id, email: user.email, role };
  });
  const documents = Array.from({ length: opts.documents ?? 0 }, (_, i) => {
    const title = `Doc ${i} of ${tag}`;
    const doc = em.create(Document, {
      id: randomUUID(),
      organizationId: orgId,
      createdById: users[0]!.id,
      title,
      body: `secret body ${i} of ${tag}`,
      createdAt: new Date(Date.now() - (opts.documents! - i) * 1000),
    });
    return { id: doc.id, title };
  });
  await directory.flush();
  if (em !== directory) await em.flush();

  const withTokens = await Promise.all(users.map(async (u) => ({ ...u, token: await tokenFor(app, u.id, orgId) })));
  return { id: orgId, name, placement, owner: withTokens[0]!, users: withTokens, documents };
}

/** A token as the server would issue it (org claim left out in single-tenant mode). */
export async function tokenFor(app: TestApp, userId: string, organizationId?: string | null): Promise<string> {
  const org = app.config.mode === 'single_tenant' ? null : organizationId;
  return (await issueToken(app.config.jwt, { userId, organizationId: org })).accessToken;
}
