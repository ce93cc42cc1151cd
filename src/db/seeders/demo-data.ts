import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../../config/index.js';
import { hashPassword } from '../../auth/password.js';
import { forkForSystem } from '../../tenancy/tenant-entity-manager.js';
import { Document, Membership, Organization, User, type Role } from '../entities/index.js';
import type { Orm } from '../orm.js';

/** Printed in the README: sign in with these on a fresh `npm start`. */
export const DEMO_PASSWORD = 'demo-password';
export const DEMO_USERS = [
  { email: 'alice@acme.test', name: 'Alice Anders' },
  { email: 'bob@globex.test', name: 'Bob Bauer' },
  { email: 'carol@acme.test', name: 'Carol Chen' },
];

/**
 * Two organizations with the same shape of data, and a user in both, so the playground shows
 * isolation at work. Single-tenant mode gets the same users in its one organization.
 */
export async function seedDemoData(orm: Orm, config: AppConfig): Promise<void> {
  const em = forkForSystem(orm.em, 'demo data spans organizations');
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const [alice, bob, carol] = DEMO_USERS.map((u) => em.create(User, { id: randomUUID(), ...u, passwordHash })) as [User, User, User];

  const member = (org: Organization, user: User, role: Role) => em.create(Membership, { organizationId: org.id, userId: user.id, role });
  const docs = (org: Organization, author: User, titles: string[]) =>
    titles.forEach((title, i) =>
      em.create(Document, {
        organizationId: org.id,
        createdById: author.id,
        title,
        body: `${title}: a demo document of ${org.name}.`,
        createdAt: new Date(Date.now() - (titles.length - i) * 60_000),
      }),
    );

  if (config.mode === 'single_tenant') {
    const org = await em.findOneOrFail(Organization, config.defaultOrganizationId!);
    member(org, alice, 'OWNER');
    member(org, bob, 'MEMBER');
    member(org, carol, 'VIEWER');
    docs(org, alice, ['Welcome', 'Roadmap', 'Meeting notes']);
  } else {
    const acme = em.create(Organization, { id: randomUUID(), name: 'Acme Corp', slug: 'acme' });
    const globex = em.create(Organization, { id: randomUUID(), name: 'Globex', slug: 'globex' });
    member(acme, alice, 'OWNER');
    member(acme, carol, 'VIEWER');
    member(globex, bob, 'OWNER');
    member(globex, alice, 'MEMBER');
    docs(acme, alice, ['Acme roadmap', 'Acme pricing', 'Acme hiring plan']);
    docs(globex, bob, ['Globex roadmap', 'Globex pricing', 'Globex board minutes']);
  }
  await em.flush();
}
