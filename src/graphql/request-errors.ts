import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import type { GraphQLContext } from './context.js';
import { isClientSafe } from './errors.js';

// A masked error must be findable from what the client holds: the request id. So the details of
// every unexpected error are logged on the request's own logger (its lines carry `reqId`), and
// every error body names the request id, on whichever path Apollo or Fastify answered it.

const logged = new WeakSet<object>();

const isUnexpected = (error: unknown) =>
  !(error instanceof GraphQLError && isClientSafe({ message: error.message, extensions: error.extensions }, error));

function logOnce(log: FastifyRequest['log'], error: unknown, message: string): void {
  if (typeof error !== 'object' || error === null || logged.has(error)) return;
  logged.add(error);
  log.error({ err: error }, message);
}

/** Errors met while a request runs (validation, plugins, resolvers), logged with its request id. */
export function errorLogPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (isUnexpected(error)) logOnce(contextValue.log, unwrapResolverError(error), 'unexpected error in a GraphQL request');
          }
        },
      };
    },
  };
}

/** Context creation fails before any plugin sees a context: log the cause on the request's logger. */
export async function logContextFailure<T>(request: FastifyRequest, build: Promise<T>): Promise<T> {
  try {
    return await build;
  } catch (err) {
    if (isUnexpected(err)) logOnce(request.log, err, 'context creation failed');
    throw err;
  }
}

/** For formatError: true when the error (or what it wraps) was already logged with its request id. */
export function alreadyLogged(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const original = (error as { originalError?: unknown }).originalError;
  return logged.has(error) || (typeof original === 'object' && original !== null && logged.has(original));
}

/**
 * For Fastify's onSend: puts `extensions.requestId` on each error of a JSON error body that lacks
 * it (Apollo's own refusals, such as a failed context or a batched body, skip the plugins that
 * add it). Other payloads pass untouched.
 */
export function withRequestIdInErrors(request: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  if (typeof payload !== 'string' || !payload.includes('"errors"')) return payload;
  if (!String(reply.getHeader('content-type') ?? '').includes('json')) return payload;
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.every((e) => (e as { extensions?: { requestId?: unknown } })?.extensions?.requestId !== undefined)) {
    return payload;
  }
  const withId = errors.map((e: { extensions?: Record<string, unknown> }) => ({ ...e, extensions: { ...e.extensions, requestId: request.id } }));
  return JSON.stringify({ ...(body as object), errors: withId });
}
