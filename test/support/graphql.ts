import { expect } from 'vitest';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import type { TestApp } from './app.js';

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLFormattedError[];
  requestId: string | null;
  headers: Headers;
  raw: string;
}

/** One request over real HTTP, exactly as a client sends it. */
export async function gql<T, V>(
  app: Pick<TestApp, 'graphqlUrl'>,
  document: TypedDocumentNode<T, V> | string,
  variables?: V,
  opts: { token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<T>> {
  const res = await fetch(app.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
  });
  const raw = await res.text();
  const body = JSON.parse(raw) as { data?: T | null; errors?: GraphQLFormattedError[] };
  return { status: res.status, data: body.data, errors: body.errors, requestId: res.headers.get('x-request-id'), headers: res.headers, raw };
}

/** Like gql(), but the call must succeed; a failure prints the operation, the response and the request id. */
export async function gqlOk<T, V>(
  app: Pick<TestApp, 'graphqlUrl'>,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  opts: { token?: string; headers?: Record<string, string> } = {},
): Promise<T> {
  const res = await gql(app, document, variables, opts);
  if (res.status !== 200 || res.errors?.length || !res.data) {
    throw new Error(
      `GraphQL call failed (HTTP ${res.status}, request id ${res.requestId}):\n${print(document)}\nvariables: ${JSON.stringify(variables)}\nresponse: ${res.raw}`,
    );
  }
  return res.data;
}

/** The `extensions.code` of each error, in order. */
export const codes = (res: GraphQLResponse<unknown>) => (res.errors ?? []).map((e) => e.extensions?.code);

/** A raw request body, for malformed input the typed helpers cannot express. */
export async function postRaw(app: Pick<TestApp, 'graphqlUrl'>, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, raw: await res.text(), headers: res.headers };
}

/**
 * A browser's GET of /graphql gets a JSON error (HTTP 400, BAD_REQUEST), not a page: with and
 * without Apollo's preflight header, for the accept headers browsers send.
 */
export async function expectNoPlayground(app: Pick<TestApp, 'graphqlUrl'>): Promise<void> {
  const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  const requests: Record<string, string>[] = [{ accept: 'text/html' }, { accept: browser }, { accept: browser, 'apollo-require-preflight': 'true' }];
  for (const headers of requests) {
    const res = await fetch(app.graphqlUrl, { headers });
    const body = await res.text();
    expect(res.status, body).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body).not.toMatch(/<html/i);
    expect((JSON.parse(body) as { errors: { extensions: { code: string } }[] }).errors.map((e) => e.extensions.code)).toEqual(['BAD_REQUEST']);
  }
}
