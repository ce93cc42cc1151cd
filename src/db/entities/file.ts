import { randomUUID } from 'node:crypto';
import { defineEntity, type InferEntity } from '@mikro-orm/core';

/** `pending`: the upload URL was issued; `ready`: completeFileUpload checked size and checksum. */
export type FileStatus = 'pending' | 'ready';

/**
 * Tenant-owned: a document's file, one object in the storage provider (src/storage/).
 * `documentId` and `createdById` are composite foreign keys that include `organization_id` (see
 * the migration). `objectKey` is `<organization id>/<file id>` (src/storage/object-key.ts), never
 * user input; `filename` is only ever shown. `byteSize` in bytes; `sha256` lower-case hex.
 */
export const StoredFile = defineEntity({
  name: 'StoredFile',
  tableName: 'file',
  properties: (p) => ({
    // The database's key is (organization_id, id) (Citus); ids are random UUIDs made here, so
    // `id` alone identifies a row for the ORM, as for Document and Comment.
    id: p.uuid().primary().onCreate(() => randomUUID()),
    organizationId: p.uuid(),
    documentId: p.uuid(),
    objectKey: p.text(),
    filename: p.text(),
    contentType: p.text(),
    byteSize: p.bigint('number'),
    sha256: p.text(),
    status: p.text().$type<FileStatus>().default('pending'),
    createdById: p.uuid().nullable(),
    createdAt: p.datetime(3).onCreate(() => new Date()),
    completedAt: p.datetime(3).nullable(),
  }),
});
export type StoredFile = InferEntity<typeof StoredFile>;
