import { randomBytes } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Organization } from '../../db/entities/index.js';
import type { TenantEntityManager } from '../../tenancy/tenant-entity-manager.js';

/** The readable part of a slug: ASCII letters and digits of the name, dashes between, at most 40. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return slug || 'org';
}

/** 6 hex characters (24 random bits). */
export const randomSuffix = () => randomBytes(3).toString('hex');

/** Attempts before a slug collision is reported as an error (each one 1 in 16 million to collide). */
const MAX_ATTEMPTS = 5;

/**
 * Creates an organization with the slug `<slugify(name)>-<random suffix>`, always suffixed: a
 * slug that depended on whether the plain name was taken would tell anyone that a customer of
 * that name exists. Nothing about other organizations is read. On the rare unique violation the
 * insert is retried with a new suffix, inside a savepoint so that the surrounding transaction
 * stays usable. `suffix` is replaceable for tests.
 */
export async function createOrganization(
  em: TenantEntityManager,
  data: { id: string; name: string; placement?: string; tier?: string },
  suffix: () => string = randomSuffix,
): Promise<Organization> {
  const base = slugify(data.name);
  for (let attempt = 1; ; attempt++) {
    const slug = `${base}-${suffix()}`;
    try {
      return await em.transactional(async (sp) => {
        const organization = sp.create(Organization, { ...data, slug });
        await sp.flush();
        return organization;
      });
    } catch (err) {
      const slugTaken = err instanceof UniqueConstraintViolationException && err.message.includes('organization_slug_key');
      if (!slugTaken || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
