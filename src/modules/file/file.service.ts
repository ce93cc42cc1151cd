import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Document, StoredFile } from '../../db/entities/index.js';
import { atLeast } from '../../auth/roles.js';
import { AppError, badInput, forbidden, notFound, RetryLaterError } from '../../graphql/errors.js';
import { line, parseId } from '../../graphql/input.js';
import type { StorageConfig } from '../../config/storage.js';
import { objectKey } from '../../storage/object-key.js';
import type { StorageProvider } from '../../storage/index.js';
import type { RequestScope } from '../../tenancy/request-scope.js';
import type { TenantEntityManager } from '../../tenancy/tenant-entity-manager.js';
import { tenantStatement } from '../../tenancy/tenant-sql.js';
import { appendActivity } from '../activity/activity.service.js';
import { audited } from '../audited.js';
import { abandonedBefore, deleteObjectsAfterCommit } from './file-lifecycle.js';

/** What a file service needs beyond the request scope: the store, its limits, and the origin of `local` URLs. */
export interface FileServices {
  storage: StorageProvider;
  limits: StorageConfig;
  /** Scheme and host signed `local` URLs start with (GraphQLContext.publicOrigin). */
  origin: string;
  /** Where a failing store's error goes (the client gets SERVICE_UNAVAILABLE, not the reason). */
  log: Pick<FastifyBaseLogger, 'error'>;
}

/** Seconds a client is told to wait when the store does not answer. */
const STORE_RETRY_SECONDS = 5;

/**
 * `call` against the store; a store that fails (down, unreachable, refusing the credentials) is
 * logged with its reason and answered SERVICE_UNAVAILABLE with a retry hint (RetryLaterError:
 * HTTP 503, Retry-After), like an unavailable placement, rather than an internal error.
 */
async function fromStore<T>(services: FileServices, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    services.log.error({ err, store: services.storage.name }, `file store failed: ${what}`);
    throw new RetryLaterError('SERVICE_UNAVAILABLE', 'The file store is unavailable right now; retry shortly.', STORE_RETRY_SECONDS);
  }
}

export interface FileUploadInput {
  documentId: string;
  filename: string;
  contentType: string;
  byteSize: number;
  sha256: string;
}

const FILENAME = { min: 1, max: 255 };
const SHA256 = /^[0-9a-f]{64}$/;
const fileTarget = (id?: string) => ({ type: 'File', id });
const expiry = (limits: StorageConfig) => new Date(Date.now() + limits.urlTtlSeconds * 1000);

/**
 * Unicode's bidirectional embedding, override and isolate controls and the directional marks
 * (UAX #9, 2.1-2.6): in a filename they make `invoice\u202Efdp.exe` display as `invoiceexe.pdf`
 * (CVE-2021-42574's kind), and a file's name has no need for them.
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/**
 * The name as shown, never as a path: path separators (`/`, `\`) become `_`, Unicode kept (NFC).
 * It is only ever a column and a Content-Disposition value; keys are object-key.ts's.
 * BAD_USER_INPUT for bidirectional controls (BIDI_CONTROLS), besides line()'s checks.
 */
export function displayName(raw: string): string {
  if (BIDI_CONTROLS.test(raw)) throw badInput('filename must not contain bidirectional control characters (they can disguise its extension).');
  return line(raw.normalize('NFC').replace(/[/\\]/g, '_'), 'filename', FILENAME);
}

/** The input's checks that need no database: BAD_USER_INPUT naming the field. */
function checkedInput(input: FileUploadInput, limits: StorageConfig) {
  const documentId = parseId(input.documentId, 'documentId');
  const filename = displayName(input.filename);
  const contentType = input.contentType.trim().toLowerCase();
  if (!limits.allowedContentTypes.has(contentType)) throw badInput(`contentType ${JSON.stringify(contentType.slice(0, 100))} is not allowed here; allowed: ${[...limits.allowedContentTypes].join(', ')}.`);
  if (!Number.isSafeInteger(input.byteSize) || input.byteSize < 0 || input.byteSize > limits.maxFileBytes) {
    throw badInput(`byteSize must be 0 to ${limits.maxFileBytes} bytes.`);
  }
  const sha256 = input.sha256.toLowerCase();
  if (!SHA256.test(sha256)) throw badInput('sha256 must be 64 hexadecimal digits (the SHA-256 of the bytes).');
  return { documentId, filename, contentType, byteSize: input.byteSize, sha256 };
}

// The organization's file bytes: completed files, and pending uploads not yet abandoned (an
// issued URL may still be used). Read under the organization's quota lock (requestFileUpload).
const bytesUsed = tenantStatement(
  'file_bytes_used',
  `select coalesce(sum(f.byte_size), 0)::text as used from file f where f.organization_id = $1 and (f.status = 'ready' or f.created_at >= $2)`,
);
/** The advisory lock space that serializes quota checks per organization (TenantSql.lockOrganization). */
const QUOTA_LOCK = 'tenantql.file-quota';

async function loadFile(em: TenantEntityManager, id: string): Promise<StoredFile> {
  // Tenant filter and row-level security: another organization's file is not found, like an unknown id.
  const file = await em.findOne(StoredFile, { id });
  if (!file) throw notFound('File');
  return file;
}

/**
 * MEMBER or above. Records a pending file for one of the organization's documents and signs an
 * upload URL for exactly its key, size, checksum and content type. QUOTA_EXCEEDED when the
 * organization's files (pending ones not abandoned included, see file-lifecycle.ts) would pass
 * STORAGE_QUOTA_BYTES_PER_ORGANIZATION; the check holds the organization's quota lock until the
 * request commits, so concurrent requests take turns.
 */
export async function requestFileUpload(scope: RequestScope, services: FileServices, input: FileUploadInput) {
  const checked = checkedInput(input, services.limits);
  const action = { action: 'file.upload.request', target: { type: 'Document', id: checked.documentId }, requires: 'MEMBER', describe: 'Uploading files' } as const;
  const file = await audited(scope, action, async (em) => {
    const doc = await em.findOne(Document, { id: checked.documentId });
    if (!doc) throw notFound('Document');
    // One quota check at a time per organization: two requests cannot both see the room one leaves.
    await scope.sql.lockOrganization(QUOTA_LOCK);
    const used = Number((await scope.sql.rows<{ used: string }>(bytesUsed, [abandonedBefore(services.limits)]))[0]!.used);
    if (used + checked.byteSize > services.limits.quotaBytesPerOrganization) {
      throw new AppError('QUOTA_EXCEEDED', `The organization's files would take more than its quota of ${services.limits.quotaBytesPerOrganization} bytes (${used} used).`);
    }
    const id = randomUUID();
    // organizationId, key and uploader come from the request, never from input.
    return em.create(StoredFile, {
      id, organizationId: scope.organizationId, documentId: doc.id, objectKey: objectKey(scope.organizationId, id),
      filename: checked.filename, contentType: checked.contentType, byteSize: checked.byteSize, sha256: checked.sha256,
      status: 'pending', createdById: scope.userId, completedAt: null,
    });
  });
  const grant = { key: file.objectKey, byteSize: checked.byteSize, sha256: checked.sha256, contentType: checked.contentType, expiresAt: expiry(services.limits) };
  const signed = await fromStore(services, 'sign upload', () => services.storage.signUpload(grant, services.origin));
  return { uploadUrl: signed.url, uploadHeaders: Object.entries(signed.headers).map(([name, value]) => ({ name, value })), expiresAt: signed.expiresAt, file };
}

/**
 * MEMBER or above. Makes a pending file visible once the stored bytes have the declared size and
 * SHA-256. Otherwise (nothing stored, other bytes, or an abandoned upload: see file-lifecycle.ts)
 * BAD_USER_INPUT, and the row is removed, its bytes after the commit: nothing of a failed upload
 * stays visible or counts against the quota.
 */
export async function completeFileUpload(scope: RequestScope, services: FileServices, rawId: string): Promise<StoredFile> {
  const id = parseId(rawId, 'fileId');
  let failedKey: string | undefined;
  const action = { action: 'file.upload.complete', target: fileTarget(id), requires: 'MEMBER', describe: 'Uploading files' } as const;
  try {
    return await audited(scope, action, async (em) => {
      const file = await loadFile(em, id);
      if (file.status === 'ready') return file;
      if (file.createdAt < abandonedBefore(services.limits)) {
        failedKey = file.objectKey;
        throw badInput('The upload URL of this file expired long ago; the file was discarded: request a new upload.');
      }
      const stored = await fromStore(services, 'stat', () => services.storage.stat(file.objectKey));
      if (!stored || stored.byteSize !== Number(file.byteSize) || stored.sha256 !== file.sha256) {
        failedKey = file.objectKey;
        throw badInput(stored ? 'The uploaded bytes do not have the declared size and SHA-256; the file was discarded.' : 'Nothing was uploaded for this file; it was discarded.');
      }
      file.status = 'ready';
      file.completedAt = new Date();
      return file;
    });
  } catch (err) {
    // After audited rolled its own work back and recorded the refusal: discard the upload.
    if (failedKey) {
      await scope.em.transactional(async (em) => {
        await em.nativeDelete(StoredFile, { id, status: 'pending' });
      });
      deleteObjectsAfterCommit(scope, services.storage, [failedKey]);
    }
    throw err;
  }
}

/**
 * The uploader (MEMBER or above) or an ADMIN; another member gets FORBIDDEN. Deletes the row in the request's transaction (which queues its key, see
 * file-lifecycle.ts), and the bytes once it has committed. Returns the id.
 */
export async function deleteFile(scope: RequestScope, services: FileServices, rawId: string): Promise<string> {
  const id = parseId(rawId);
  let key = '';
  await audited(scope, { action: 'file.delete', target: fileTarget(id), requires: 'MEMBER', describe: 'Deleting files' }, async (em) => {
    const file = await loadFile(em, id);
    // As for documents (deleteDocument): a member deletes what they uploaded, an ADMIN anything.
    if (!atLeast(scope.role, 'ADMIN') && file.createdById !== scope.userId) throw forbidden('Only the uploader or an ADMIN can delete this file.');
    key = file.objectKey;
    em.remove(file);
    return id;
  });
  deleteObjectsAfterCommit(scope, services.storage, [key]);
  return id;
}

/** A signed GET URL for a file read through the tenant's session; each one issued is audited (`file.download`). */
export async function downloadUrl(scope: RequestScope, services: FileServices, file: StoredFile): Promise<string> {
  const url = await fromStore(services, 'sign download', () =>
    services.storage.signDownload({ key: file.objectKey, filename: file.filename, contentType: file.contentType, expiresAt: expiry(services.limits) }, services.origin),
  );
  await appendActivity(scope, 'file.download', fileTarget(file.id));
  return url;
}
