import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * Cross-origin access for the origins in CORS_ORIGINS, and for no one when it is empty. Tokens
 * travel in the Authorization header, never in cookies, so credentials stay off. Apollo's CSRF
 * prevention stays on either way: a browser must send JSON or a custom header, which forces a
 * preflight that only these origins pass.
 */
export function corsOptions(origins: string[]): FastifyCorsOptions {
  return {
    origin: origins.length > 0 ? origins : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    credentials: false,
    maxAge: 600,
  };
}

/** Registered first, so its headers are on every answer, refusals included. */
export async function registerCors(app: FastifyInstance, origins: string[]): Promise<void> {
  await app.register(cors, corsOptions(origins));
}
