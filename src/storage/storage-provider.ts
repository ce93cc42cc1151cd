import type { Readable } from 'node:stream';
// The provider-neutral face of document files. Services (src/modules/file/) speak only this; a
// provider (local now; S3 and Azure Blob later) turns it into its own signed URLs and calls.

/** What an upload URL is signed for: one key, PUT, until `expiresAt`, these exact bytes. */
export interface UploadGrant {
  /** `<organization id>/<file id>` (object-key.ts); never user input. */
  key: string;
  /** Declared size in bytes: a larger body is refused, a different one never becomes visible. */
  byteSize: number;
  /** Declared SHA-256 of the bytes, 64 lower-case hex digits. */
  sha256: string;
  /** The Content-Type the client must send (one of STORAGE_ALLOWED_CONTENT_TYPES). */
  contentType: string;
  expiresAt: Date;
}

/** What a download URL is signed for: one key, GET, until `expiresAt`. */
export interface DownloadGrant {
  key: string;
  /** Shown to the browser as the attachment's name (Content-Disposition), never used as a path. */
  filename: string;
  contentType: string;
  expiresAt: Date;
}

export interface SignedUpload {
  /** The absolute URL to PUT the bytes to. */
  url: string;
  /** Headers the PUT must carry exactly (they are part of what is signed). */
  headers: Record<string, string>;
  expiresAt: Date;
}

/** What the store holds under a key. */
export interface StoredObject {
  /** Bytes. */
  byteSize: number;
  /** SHA-256 of the stored bytes in lower-case hex, as the store computed or verified it. */
  sha256: string;
}

/**
 * A storage provider. Every URL it signs covers exactly one key, one method and a short time;
 * the store refuses any edited part. `origin` is where the API was reached, for providers whose
 * URLs are served by the API itself (`local`); others ignore it.
 */
export interface StorageProvider {
  readonly name: string;
  signUpload(grant: UploadGrant, origin: string): Promise<SignedUpload>;
  /** The absolute GET URL. */
  signDownload(grant: DownloadGrant, origin: string): Promise<string>;
  /** The object under `key`, or null when there is none. */
  stat(key: string): Promise<StoredObject | null>;
  /** Removes the object; no error when there is none. */
  delete(key: string): Promise<void>;
  /** The object's bytes as a stream, or null when there is none (export, verification). */
  read(key: string): Promise<Readable | null>;
  /** Stores exactly `meta.byteSize` bytes from `body` under `key`, replacing any object there (import). */
  write(key: string, body: Readable, meta: { byteSize: number; contentType: string }): Promise<void>;
}
