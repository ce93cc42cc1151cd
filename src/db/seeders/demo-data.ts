import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { Seeder } from '@mikro-orm/seeder';
import { loadConfig, type AppConfig } from '../../config/index.js';
import { hashPassword } from '../../auth/password.js';
import { randomSuffix, slugify } from '../../modules/viewer/slug.js';
import { forkForSystem } from '../../tenancy/tenant-entity-manager.js';
import { Comment, Document, Membership, Organization, User, type Role } from '../entities/index.js';

/** Printed in the README: sign in with these on a fresh `npm start`. */
export const DEMO_PASSWORD = 'demo-password';
export const DEMO_USERS = [
  { email: 'alice@acme.test', name: 'Alice Anders' },
  { email: 'bob@globex.test', name: 'Bob Bauer' },
  { email: 'carol@acme.test', name: 'Carol Chen' },
];

/** What the demo data depends on: the deployment mode and, single-tenant, its one organization. */
export type DemoSettings = Pick<AppConfig, 'mode' | 'defaultOrganizationId'>;

/** Raised instead of seeding twice, or into a single-tenant database without its organization. */
export class DemoDataError extends Error {
  override name = 'DemoDataError';
}

/**
 * Two organizations with the same shape of data, and a user in both, so the playground shows
 * isolation at work. Single-tenant mode gets the same users in its one organization (which the
 * server creates at start-up: src/db/bootstrap.ts).
 *
 * A `@mikro-orm/seeder` seeder: `npx mikro-orm seeder:run` runs it (`DemoDataSeeder` is the
 * configured default, src/db/orm.ts) with the settings of the environment (`.env` included), and
 * the server runs it on its first embedded start (SEED_DEMO_DATA=auto) with its own.
 * Throws DemoDataError when a demo user already exists (nothing is written) or, single-tenant,
 * when the organization does not exist yet.
 */
export class DemoDataSeeder extends Seeder<DemoSettings> {
  /** `settings` defaults to the environment's (loadConfig), as the CLI passes none. */
  async run(root: EntityManager, settings: DemoSettings = loadConfig()): Promise<void> {
    // A system scope, on purpose: the demo data spans organizations, which a tenant-scoped
    // EntityManager refuses (src/tenancy/tenant-entity-manager.ts). It runs on the owner's
    // connection, without row-level security, like the migrations.
    const em = forkForSystem(root as SqlEntityManager, 'demo data spans organizations');
    const taken = await em.find(User, { email: { $in: DEMO_USERS.map((u) => u.email) } }, { fields: ['email'] });
    if (taken.length > 0) {
      throw new DemoDataError(`The demo data is already there (${taken.map((u) => u.email).join(', ')} exist): nothing was seeded.`);
    }
    const single = settings.mode === 'single_tenant' ? await em.findOne(Organization, settings.defaultOrganizationId!) : undefined;
    if (single === null) {
      throw new DemoDataError(`single_tenant: the organization ${settings.defaultOrganizationId} does not exist yet: start the server once (it creates it), then seed.`);
    }
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

    if (single) {
      member(single, alice, 'OWNER');
      member(single, bob, 'MEMBER');
      member(single, carol, 'VIEWER');
      const [welcome] = docs(single, alice, ['Welcome', 'Roadmap', 'Meeting notes']);
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
}
