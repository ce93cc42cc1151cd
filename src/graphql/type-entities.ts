/**
 * Which GraphQL object types are backed by which entities. codegen.ts builds its `mappers`
 * from this, and the start-up check uses it to demand `@tenantScoped` on every type backed by
 * a tenant-owned entity: one list, so the two cannot disagree.
 */
export const typeEntities: Record<string, string> = {
  Organization: 'Organization',
  User: 'User',
  Membership: 'Membership',
  Document: 'Document',
  ActivityEvent: 'ActivityEvent',
  Comment: 'Comment',
  Invitation: 'Invitation',
  File: 'StoredFile',
};
