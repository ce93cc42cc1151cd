import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { GraphQLFormattedError } from 'graphql';

// Requests that name a trusted document by id, in the forms clients send (see
// src/graphql/trusted-documents/document-request.ts), over real HTTP.

/** The manifest id codegen put on a generated document (`__meta__.hash`, `sha256:<hex>`). */
export function idOf(document: TypedDocumentNode<unknown, never> | TypedDocumentNode<any, any>): string {
  const id = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof id !== 'string') throw new Error('the document has no __meta__.hash: is persistedDocuments on in codegen.ts?');
  return id;
}

export interface Answer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: GraphQLFormattedError[] };
  codes: unknown[];
  headers: Headers;
  raw: string;
}

async function answer(res: Response): Promise<Answer> {
  const raw = await res.text();
  let body: Answer['body'] = {};
  try {
    body = JSON.parse(raw) as Answer['body'];
  } catch {
    body = { errors: [{ message: `(not JSON) ${raw.slice(0, 200)}` }] };
  }
  return { status: res.status, body, codes: (body.errors ?? []).map((e) => e.extensions?.code), headers: res.headers, raw };
}

const auth = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** A POST with this JSON body (a string is sent as it is). */
export async function postJson(graphqlUrl: string, body: unknown, token?: string): Promise<Answer> {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(token) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answer(res);
}

/** A GET with these query parameters (already strings) and Apollo's CSRF preflight header. */
export async function getWith(graphqlUrl: string, params: Record<string, string> | URLSearchParams, token?: string): Promise<Answer> {
  const res = await fetch(`${graphqlUrl}?${new URLSearchParams(params).toString()}`, {
    headers: { 'apollo-require-preflight': 'true', accept: 'application/json', ...auth(token) },
  });
  return answer(res);
}
