import { connect } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';
import { expect } from 'vitest';
import type { TestApp } from './app.js';
import { gql } from './graphql.js';

export interface Answer<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLFormattedError[];
  retryAfter: string | null;
  raw: string;
}

/** One GraphQL request over HTTP, keeping the status and the Retry-After header. */
export async function send<T, V>(
  app: Pick<TestApp, 'graphqlUrl'>,
  document: TypedDocumentNode<T, V> | string,
  variables?: V,
  opts: { token?: string; from?: string } = {},
): Promise<Answer<T>> {
  // The client address, as a trusted proxy reports it (the app runs with TRUST_PROXY=loopback).
  const headers: Record<string, string> = opts.from ? { 'x-forwarded-for': opts.from } : {};
  const res = await gql(app, document, variables, { token: opts.token, headers });
  return { status: res.status, data: res.data, errors: res.errors, retryAfter: res.headers.get('retry-after'), raw: res.raw };
}

/** Served: HTTP 200 and no error. */
export function expectServed(res: Answer<unknown>, what: string): void {
  expect({ status: res.status, errors: res.errors }, `${what}: ${res.raw}`).toEqual({ status: 200, errors: undefined });
}

/**
 * Refused with RATE_LIMITED: HTTP 429, a Retry-After header of whole seconds within the window,
 * the same number in extensions.retryAfter, a request id, no data and nothing about the store.
 */
export function expectRateLimited(res: Answer<unknown>, what: string, windowSeconds: number): number {
  expect(res.status, `${what}: HTTP status (${res.raw})`).toBe(429);
  expect((res.errors ?? []).map((e) => e.extensions?.code), `${what}: error codes`).toEqual(['RATE_LIMITED']);
  const seconds = Number(res.retryAfter);
  expect(res.retryAfter, `${what}: Retry-After header`).toMatch(/^\d+$/);
  expect(seconds, `${what}: Retry-After`).toBeGreaterThanOrEqual(1);
  expect(seconds, `${what}: Retry-After`).toBeLessThanOrEqual(windowSeconds);
  expect(res.errors![0]!.extensions?.retryAfter, `${what}: extensions.retryAfter`).toBe(seconds);
  expect(res.errors![0]!.extensions?.requestId, `${what}: request id`).toEqual(expect.any(String));
  expect(res.data ?? null, what).toBeNull();
  expect(res.raw, `${what}: no internals`).not.toMatch(/redis|ioredis|ECONN|rate-limiter|stack|\bat \w+ \(/i);
  return seconds;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when a Redis answers PING at host:port within `timeoutMs`. */
export function redisAnswers(host = '127.0.0.1', port = 6379, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
  });
}
