import { isUuid } from '../tenancy/organization-id.js';

/**
 * The object key of a file: `<organization id>/<file id>`, both lower-case UUIDs made by the
 * server. Nothing a user types (filename included) is ever part of a key, so a key can be neither
 * guessed from a name nor steered into another organization's prefix or out of the store's
 * directory.
 */
export function objectKey(organizationId: string, fileId: string): string {
  const key = `${organizationId}/${fileId}`.toLowerCase();
  if (!isObjectKey(key)) throw new Error(`not an object key: ${key}`);
  return key;
}

/** Whether `key` has exactly the shape objectKey makes (checked again by the store before any disk access). */
export function isObjectKey(key: string): boolean {
  const [org, file, ...rest] = key.split('/');
  return rest.length === 0 && org !== undefined && file !== undefined && isUuid(org) && isUuid(file) && key === key.toLowerCase();
}
