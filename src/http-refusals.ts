import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

// The answers the HTTP layer gives before any route runs, in the API's own error shape
// (`errors[].extensions.code`) rather than Fastify's or Node's defaults: an unknown route or
// method, and a request Node's HTTP parser refuses (headers too large, a malformed request line,
// a body shorter than its Content-Length).

const errorBody = (message: string, code: string, requestId?: string) =>
  JSON.stringify({ errors: [{ message, extensions: { code, ...(requestId ? { requestId } : {}) } }] });

/**
 * Fastify's not-found handler: 404 `NOT_FOUND`, naming the method but never echoing the path (a
 * signed file URL is a secret its holder may have pasted into the wrong method).
 */
export function routeNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply
    .code(404)
    .type('application/json')
    .send(errorBody(`No such route for ${request.method}: the API answers POST and GET /graphql; a signed file URL takes only the method it was signed for.`, 'NOT_FOUND', request.id));
}

/**
 * Fastify's `clientErrorHandler` (Node's 'clientError': the request could not be parsed, so no
 * route, hook or request id exists): 431 `REQUEST_HEADER_FIELDS_TOO_LARGE` for headers past
 * Node's limit (16 KiB by default, `--max-http-header-size`), 408 `REQUEST_TIMEOUT`, else 400
 * `BAD_REQUEST`; then the connection is closed, as Node and Fastify do by default.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'The request headers are too large (a token or URL far longer than any the API issues).']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request took too long to arrive.']
        : [400, 'BAD_REQUEST', 'The request is not valid HTTP (a malformed line or header, or a body that does not match its Content-Length).'];
  const body = errorBody(message, code);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
