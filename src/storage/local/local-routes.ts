import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { attachmentDisposition } from '../content-disposition.js';
import { isTombstoned, objectPath } from './local-provider.js';
import { BodyTooLarge, writeObject } from './object-write.js';
import { verifyToken, type SignedClaims } from './signed-token.js';

// The `local` provider's store: `PUT /files/<token>` and `GET /files/<token>`, answering only what
// the token's signature covers (signed-token.ts). Every refusal is JSON with a code, never a path.

const refuse = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).header('cache-control', 'no-store').send({ error: { code, message } });

const REFUSALS = {
  SIGNATURE_INVALID: 'The URL is not one this server signed, or a part of it was changed.',
  METHOD_NOT_SIGNED: 'The URL was signed for another method.',
  URL_EXPIRED: 'The URL has expired: ask for a new one.',
} as const;


/**
 * Registers the store's routes on `app`, serving objects under `dir` signed with `secret`. The PUT
 * streams the body to a temporary file (never buffered), refuses one larger than signed (413,
 * as soon as it is), or one whose size or SHA-256 differs (400), and only then renames it into
 * place; the GET streams the object as an attachment.
 */
export async function registerLocalStorageRoutes(app: FastifyInstance, dir: string, secret: Uint8Array): Promise<void> {
  const root = resolve(dir);
  await app.register(async (scope) => {
    // A wildcard, not `:token`: a token is longer than Fastify's maxParamLength (100).
    // The body is the object's bytes, whatever its type: handed over as a stream, unparsed.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    const claimsOf = (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply, method: 'PUT' | 'GET') => {
      const claims = verifyToken(secret, request.params['*'], method);
      if (typeof claims === 'string') {
        void refuse(reply, 403, claims, REFUSALS[claims]);
        return undefined;
      }
      return claims;
    };

    scope.put<{ Params: { '*': string } }>('/files/*', async (request, reply) => {
      const claims = claimsOf(request, reply, 'PUT') as Extract<SignedClaims, { m: 'PUT' }> | undefined;
      if (!claims) return reply;
      if ((request.headers['content-type'] ?? '') !== claims.t) {
        return refuse(reply, 403, 'SIGNED_HEADER_MISMATCH', `Send the signed Content-Type: ${claims.t}`);
      }
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > claims.s) return refuse(reply, 413, 'BODY_TOO_LARGE', `The body is larger than the signed ${claims.s} bytes.`);
      const deleted = () => refuse(reply, 410, 'OBJECT_DELETED', 'This file was deleted: its upload URL no longer works.');
      if (await isTombstoned(root, claims.k)) return deleted();
      let stored: boolean;
      let tombstoned = false;
      try {
        // Checked again after the body, just before the rename: a delete may have come meanwhile.
        ({ stored } = await writeObject(root, claims.k, request.raw, claims.s, async (w) => {
          tombstoned = await isTombstoned(root, claims.k);
          return !tombstoned && w.byteSize === claims.s && w.sha256 === claims.h;
        }));
      } catch (err) {
        if (err instanceof BodyTooLarge) return refuse(reply, 413, 'BODY_TOO_LARGE', `The body is larger than the signed ${claims.s} bytes.`);
        throw err;
      }
      if (tombstoned) return deleted();
      if (!stored) return refuse(reply, 400, 'CONTENT_MISMATCH', 'The body does not have the signed size and SHA-256.');
      return reply.code(200).header('cache-control', 'no-store').send({ status: 'stored' });
    });

    scope.get<{ Params: { '*': string } }>('/files/*', async (request, reply) => {
      const claims = claimsOf(request, reply, 'GET') as Extract<SignedClaims, { m: 'GET' }> | undefined;
      if (!claims) return reply;
      const path = objectPath(root, claims.k);
      const found = await stat(path).catch(() => null);
      if (!found) return refuse(reply, 404, 'OBJECT_NOT_FOUND', 'There is no such file (it was deleted).');
      return reply
        .header('content-type', claims.t)
        .header('content-length', String(found.size))
        .header('content-disposition', attachmentDisposition(claims.n))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-store')
        .send(createReadStream(path));
    });
  });
}
