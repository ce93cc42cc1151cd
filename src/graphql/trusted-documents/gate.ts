import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TrustedDocumentsMode } from '../../config/operations.js';
import { ErrorCode } from '../errors.js';
import { DocumentRequestRefusal, readDocumentRequest, type DocumentRequest, type RequestParams } from './document-request.js';
import type { TrustedDocument, TrustedManifest } from './manifest.js';

// The trusted-documents gate, in front of Apollo Server (which has no document-id support of
// its own): a Fastify preHandler on the GraphQL route, run after the body is parsed and before
// Apollo parses anything. A request naming a manifest document by id is rewritten into the
// plain request Apollo knows (`query` = the manifest's text), so it meets every limit, input
// check, cost estimate and rate budget exactly as the same text would. Refusals here are cheap
// (no token check, no database) and are answered before Apollo: HTTP 400 with a code.

/** The one path Apollo serves (@as-integrations/fastify's default). */
export const GRAPHQL_PATH = '/graphql';

const named = new WeakMap<FastifyRequest, TrustedDocument>();

/** The manifest document a request named by id, once the gate has let it through; else undefined. */
export const trustedDocumentOf = (request: FastifyRequest): TrustedDocument | undefined => named.get(request);

export interface TrustedDocumentsOptions {
  manifest: TrustedManifest;
  /** `allow`: ids and free text; `only`: ids from the manifest only (TRUSTED_DOCUMENTS). */
  mode: TrustedDocumentsMode;
}

/** Registers the gate on `app` for GET and POST requests to GRAPHQL_PATH. */
export function registerTrustedDocuments(app: FastifyInstance, { manifest, mode }: TrustedDocumentsOptions): void {
  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.url !== GRAPHQL_PATH || (request.method !== 'GET' && request.method !== 'POST')) return;
    try {
      const get = request.method === 'GET' ? new URL(request.url, 'http://localhost').searchParams : null;
      const wanted = readDocumentRequest(get ? paramsOfSearch(get) : isObject(request.body) ? request.body : {});
      if (wanted.kind === 'text' && mode === 'only') {
        throw new DocumentRequestRefusal(
          ErrorCode.TRUSTED_DOCUMENT_REQUIRED,
          'This server runs trusted documents only (TRUSTED_DOCUMENTS=only): send the id of a document from its manifest as documentId, not query text.',
        );
      }
      if (wanted.kind !== 'id') return;
      const document = manifest.get(wanted.id);
      if (!document) {
        throw new DocumentRequestRefusal(
          ErrorCode.TRUSTED_DOCUMENT_NOT_FOUND,
          'No trusted document has this id: the client was built from operations this server does not have (build both from the same src/client/operations).',
        );
      }
      named.set(request, document);
      if (get) request.raw.url = withDocument(request.url, get, wanted, document.text);
      else request.body = bodyWithDocument(request.body as Record<string, unknown>, wanted, document.text);
    } catch (err) {
      if (err instanceof DocumentRequestRefusal) return refuse(reply, err);
      throw err;
    }
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function refuse(reply: FastifyReply, refusal: DocumentRequestRefusal) {
  // onSend adds extensions.requestId, as on every error body (src/graphql/request-errors.ts).
  return reply.code(400).type('application/json; charset=utf-8').send({ errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });
}

/** GET parameters as a body would carry them. A repeated id is refused, as Apollo refuses a repeated `query`. */
function paramsOfSearch(search: URLSearchParams): RequestParams {
  const once = (name: string) => {
    const values = search.getAll(name);
    if (values.length > 1) throw new DocumentRequestRefusal('BAD_REQUEST', `The '${name}' search parameter may only be specified once.`);
    return values[0];
  };
  let extensions: unknown;
  try {
    extensions = JSON.parse(once('extensions') ?? 'null');
  } catch {
    extensions = undefined; // Apollo refuses the invalid JSON itself
  }
  return { query: once('query'), documentId: once('documentId'), doc_id: once('doc_id'), extensions };
}

/**
 * The extensions as sent, less the persistedQuery that named the document (Apollo would take it
 * for APQ). Anything else stays, malformed or not, for Apollo and the input checks to judge.
 */
function extensionsWithout(extensions: unknown, wanted: DocumentRequest): unknown {
  if (wanted.kind !== 'id' || wanted.form !== 'persistedQuery' || !isObject(extensions)) return extensions;
  const { persistedQuery: _named, ...rest } = extensions;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function bodyWithDocument(body: Record<string, unknown>, wanted: DocumentRequest, text: string): Record<string, unknown> {
  const { documentId: _a, doc_id: _b, extensions, ...rest } = body;
  const kept = extensionsWithout(extensions, wanted);
  return { ...rest, ...(kept !== undefined ? { extensions: kept } : {}), query: text };
}

/**
 * The URL Apollo reads a GET from (@as-integrations/fastify builds its request from
 * `request.url`, that is `request.raw.url`): the same parameters, with the document's text as
 * `query` in place of the id. Only Apollo reads it after this point; the access log line was written at onRequest.
 */
function withDocument(url: string, search: URLSearchParams, wanted: DocumentRequest, text: string): string {
  const params = new URLSearchParams(search);
  params.delete('documentId');
  params.delete('doc_id');
  if (wanted.kind === 'id' && wanted.form === 'persistedQuery') {
    // The id came from these extensions, so they parsed (paramsOfSearch).
    const kept = extensionsWithout(JSON.parse(params.get('extensions')!), wanted);
    if (kept !== undefined) params.set('extensions', JSON.stringify(kept));
    else params.delete('extensions');
  }
  params.set('query', text);
  return `${url.split('?')[0]}?${params.toString()}`;
}
