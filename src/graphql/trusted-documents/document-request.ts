import { ErrorCode } from '../errors.js';
import { DOCUMENT_ID } from './manifest.js';

// Where a request names its document. Clients send a trusted document's id in one of three
// forms, all accepted by POST (JSON body) and by GET (query parameters):
//
// - `documentId: "sha256:<hex>"`: GraphQL over HTTP, Appendix A "Persisted Documents" (GraphQL
//   Yoga, Hive; what a hand-written fetch of the client preset's `__meta__.hash` sends);
// - `extensions.persistedQuery = { version: 1, sha256Hash }` without `query`: Apollo Client's
//   PersistedQueryLink and urql's persistedExchange, as the client preset's docs configure them
//   (`sha256Hash` is the bare hex, or the manifest's `sha256:<hex>` as `__meta__.hash` holds it);
// - `doc_id`: Relay's network layer (relay.dev, "Persisted Queries").
//
// A `persistedQuery` extension next to `query` is an automatic-persisted-query registration:
// not an id, left to Apollo, which answers PERSISTED_QUERY_NOT_SUPPORTED (APQ is off: a cache
// shared by every tenant, src/server.ts).

/** A request the trusted-documents gate refuses before Apollo sees it: HTTP 400 with `code`. */
export class DocumentRequestRefusal extends Error {
  constructor(
    readonly code: typeof ErrorCode.TRUSTED_DOCUMENT_NOT_FOUND | typeof ErrorCode.TRUSTED_DOCUMENT_REQUIRED | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
    this.name = 'DocumentRequestRefusal';
  }
}

export type DocumentIdForm = 'documentId' | 'doc_id' | 'persistedQuery';

/**
 * What a request names: a document id (in the DOCUMENT_ID form, whichever way it was sent), query
 * text, or neither (Apollo answers that, and anything else malformed, itself).
 */
export type DocumentRequest = { kind: 'id'; id: string; form: DocumentIdForm } | { kind: 'text' } | { kind: 'neither' };

/** A request's parameters as read from a JSON body or from GET query parameters. */
export interface RequestParams {
  query?: unknown;
  documentId?: unknown;
  doc_id?: unknown;
  extensions?: unknown;
}

const badRequest = (message: string) => new DocumentRequestRefusal('BAD_REQUEST', message);
const MALFORMED_ID = 'must be "sha256:" followed by the 64 lower-case hexadecimal digits of the document\'s SHA-256 (see the trusted-documents manifest)';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const given = (v: unknown) => v !== undefined && v !== null;

/**
 * Reads which document a request names. Throws DocumentRequestRefusal (BAD_REQUEST) for an id
 * that is not a string in the DOCUMENT_ID form (never echoing it: it may be anything), for two
 * ids, and for an id sent together with query text.
 */
export function readDocumentRequest(params: RequestParams): DocumentRequest {
  const hasQuery = given(params.query) && params.query !== '';
  const ids: { form: DocumentIdForm; id: string }[] = [];
  if (given(params.documentId)) ids.push({ form: 'documentId', id: prefixedId(params.documentId, 'documentId') });
  if (given(params.doc_id)) ids.push({ form: 'doc_id', id: prefixedId(params.doc_id, 'doc_id') });
  const persisted = isRecord(params.extensions) ? params.extensions.persistedQuery : undefined;
  // With query text, a persistedQuery extension is an APQ registration, not a document id (see above).
  if (given(persisted) && !hasQuery) ids.push({ form: 'persistedQuery', id: persistedQueryId(persisted) });

  if (ids.length > 1) throw badRequest(`Send one document id, not several (${ids.map((i) => i.form).join(', ')}).`);
  const [named] = ids;
  if (named && hasQuery) throw badRequest(`Send either query text or a document id (${named.form}), not both.`);
  if (named) return { kind: 'id', ...named };
  return hasQuery ? { kind: 'text' } : { kind: 'neither' };
}

function prefixedId(value: unknown, field: string, form = MALFORMED_ID): string {
  if (typeof value !== 'string' || !DOCUMENT_ID.test(value)) throw badRequest(`${field} ${form}.`);
  return value;
}

/** Apollo's form: version 1 and the hash as bare hex (APQ) or already prefixed (the manifest's id). */
function persistedQueryId(persisted: unknown): string {
  if (!isRecord(persisted) || persisted.version !== 1) throw badRequest('extensions.persistedQuery must be { "version": 1, "sha256Hash": "<hex>" }.');
  const hash = persisted.sha256Hash;
  const id = typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash) ? `sha256:${hash}` : hash;
  return prefixedId(id, 'extensions.persistedQuery.sha256Hash', 'must be the 64 lower-case hexadecimal digits of the document\'s SHA-256, bare or after "sha256:"');
}
