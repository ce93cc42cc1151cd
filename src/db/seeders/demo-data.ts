import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../../config/index.js';
import { hashPassword } from '../../auth/password.js';
import { randomSuffix, slugify } from '../../modules/viewer/slug.js';
import { forkForSystem } from '../../tenancy/tenant-entity-manager.js';
import { Comment, Document, Membership, Organization, User, type Role } from '../entities/index.js';
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
    titles.map((title, i) =>
      em.create(Document, {
        id: randomUUID(), // set now (not at flush) so comments can name it
        organizationId: org.id,
        createdById: author.id,
        title,
        body: `${title}: a demo document of ${org.name}.`,
        createdAt: new Date(Date.now() - (titles.length - i) * 60_000),
      }),
    );
  // Comments by members who may comment (MEMBER or above), oldest first, a few seconds apart.
  const comments = (doc: Document, notes: [User, string][]) =>
    notes.forEach(([author, body], i) =>
      em.create(Comment, {
        organizationId: doc.organizationId,
        documentId: doc.id,
        authorId: author.id,
        body,
        createdAt: new Date(doc.createdAt.getTime() + (i + 1) * 5_000),
      }),
    );

  if (config.mode === 'single_tenant') {
    const org = await em.findOneOrFail(Organization, config.defaultOrganizationId!);
    member(org, alice, 'OWNER');
    member(org, bob, 'MEMBER');
    member(org, carol, 'VIEWER');
    const [welcome] = docs(org, alice, ['Welcome', 'Roadmap', 'Meeting notes']);
    comments(welcome!, [[bob, 'Glad to be here.'], [alice, 'Welcome, Bob.']]);
  } else {
    // Slugs as sign-up makes them: always with a random suffix (modules/viewer/slug.ts).
    const organization = (name: string) => em.create(Organization, { id: randomUUID(), name, slug: `${slugify(name)}-${randomSuffix()}` });
    const acme = organization('Acme Corp');
    const globex = organization('Globex');
    member(acme, alice, 'OWNER');
    member(acme, carol, 'VIEWER');
    member(globex, bob, 'OWNER');
    member(globex, alice, 'MEMBER');
    const [acmeRoadmap] = docs(acme, alice, ['Acme roadmap', 'Acme pricing', 'Acme hiring plan']);
    const [globexRoadmap] = docs(globex, bob, ['Globex roadmap', 'Globex pricing', 'Globex board minutes']);
    comments(acmeRoadmap!, [[alice, 'Acme: Q3 is the launch.']]);
    comments(globexRoadmap!, [[bob, 'Globex: needs a budget line.'], [alice, 'Globex: added one.']]);
  }
  await em.flush();
}
