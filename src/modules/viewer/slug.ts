import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Organization } from '../../db/entities/index.js';

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

/** A readable, unique slug: the name's, or the name's with a short random suffix when taken. */
export async function slugFor(em: EntityManager, name: string): Promise<string> {
  const base = slugify(name);
  const taken = await em.findOne(Organization, { slug: base }, { fields: ['id'] });
  return taken ? `${base}-${randomBytes(3).toString('hex')}` : base;
}
