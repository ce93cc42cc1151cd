import { z } from 'zod';

// The GraphQL edge: limits that refuse a request before it executes, and CORS.
// Spread into envSchema (env-schema.ts); `.env.example` documents each variable.

const blankAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const limit = (min: number, max: number, fallback: number) =>
  z.preprocess(blankAsUndefined, z.coerce.number().int().min(min).max(max).default(fallback));

/** Comma-separated origins such as `https://app.example.com`; blank means no cross-origin access. */
const originList = z.preprocess(
  (v) => (typeof v === 'string' ? v : ''),
  z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter((o) => o !== ''))
    .superRefine((origins, ctx) => {
      for (const origin of origins) {
        if (!isOrigin(origin)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${origin}" is not an origin: use scheme://host[:port] with no path or trailing slash (e.g. https://app.example.com); "*" is not allowed`,
          });
        }
      }
    }),
);

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export const edgeEnvSchema = {
  MAX_QUERY_DEPTH: limit(1, 1000, 10),
  MAX_ALIASES: limit(0, 10_000, 15),
  MAX_TOKENS: limit(1, 1_000_000, 1000),
  MAX_QUERY_COST: limit(1, 100_000_000, 5000),
  MAX_BODY_BYTES: limit(1024, 100 * 1024 * 1024, DEFAULT_MAX_BODY_BYTES),
  CORS_ORIGINS: originList,
};

type EdgeEnv = { [K in keyof typeof edgeEnvSchema]: z.infer<(typeof edgeEnvSchema)[K]> };

/** Limits checked before a request executes (see src/graphql/limits/). */
export interface EdgeLimits {
  /** Deepest field nesting of an operation (fragments count their own levels). */
  maxDepth: number;
  /** Aliased fields in one operation. */
  maxAliases: number;
  /** Lexical tokens of the query document. */
  maxTokens: number;
  /** Estimated cost: one per field, a list field's children multiplied by its `first`. */
  maxCost: number;
  /** Request body size (Fastify bodyLimit). */
  maxBodyBytes: number;
}

export function edgeConfig(e: EdgeEnv): { limits: EdgeLimits; corsOrigins: string[] } {
  return {
    limits: {
      maxDepth: e.MAX_QUERY_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxTokens: e.MAX_TOKENS,
      maxCost: e.MAX_QUERY_COST,
      maxBodyBytes: e.MAX_BODY_BYTES,
    },
    corsOrigins: e.CORS_ORIGINS,
  };
}
