import { randomBytes, randomUUID } from 'node:crypto';
import { hashPassword } from '../../src/auth/password.js';
import { issueToken } from '../../src/auth/tokens.js';
import { Document, Membership, Organization, User, type Role } from '../../src/db/entities/index.js';
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
  owner: TestUser;
  users: TestUser[];
  documents: { id: string; title: string }[];
}

const unique = () => randomBytes(5).toString('hex');

/**
 * An organization of its own for one test: users with the given roles (the first is OWNER)
 * and `documents` documents. Written straight to the database, like an existing customer.
 */
export async function createOrg(app: TestApp, opts: { roles?: Role[]; documents?: number; name?: string } = {}): Promise<TestOrg> {
  const roles = opts.roles ?? ['OWNER'];
  const em = forkForSystem(app.orm.em, 'test factory');
  const hash = await (passwordHash ??= hashPassword(TEST_PASSWORD));
  const tag = unique();
  const orgId = app.config.mode === 'single_tenant' ? app.config.defaultOrganizationId! : randomUUID();
  const name = opts.name ?? `Org ${tag}`;
  if (app.config.mode !== 'single_tenant') em.create(Organization, { id: orgId, name, slug: `org-${tag}` });

  const users = roles.map((role, i) => {
    const user = em.create(User, { id: randomUUID(), email: `user${i}-${tag}@example.test`, name: `User ${i} ${tag}`, passwordHash: hash });
    em.create(Membership, { organizationId: orgId, userId: user.id, role });
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
  await em.flush();

  const withTokens = await Promise.all(users.map(async (u) => ({ ...u, token: await tokenFor(app, u.id, orgId) })));
  return { id: orgId, name, owner: withTokens[0]!, users: withTokens, documents };
}

/** A token as the server would issue it (org claim left out in single-tenant mode). */
export async function tokenFor(app: TestApp, userId: string, organizationId?: string | null): Promise<string> {
  const org = app.config.mode === 'single_tenant' ? null : organizationId;
  return (await issueToken(app.config.jwt, { userId, organizationId: org })).accessToken;
}
