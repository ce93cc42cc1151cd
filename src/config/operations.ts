import { z } from 'zod';

// What operators and first-party clients touch: which GraphQL documents run (trusted documents)
// and where Prometheus scrapes metrics. Spread into envSchema (env-schema.ts); `.env.example`
// documents each variable.

const blankAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const operationsEnvSchema = {
  /**
   * `allow` (default): documents named by id from the trusted manifest, and free-form query text.
   * `only`: the manifest's documents and nothing else (free text, introspection included, is refused).
   */
  TRUSTED_DOCUMENTS: z.preprocess(blankAsUndefined, z.enum(['allow', 'only'], { message: 'must be allow or only' }).default('allow')),
  /** TCP port of the separate metrics listener (on HOST); unset: no metrics listener, in every mode. */
  METRICS_PORT: z.preprocess(blankAsUndefined, z.coerce.number({ message: 'must be a port number' }).int().min(1).max(65535).optional()),
  /**
   * Milliseconds a shutdown (SIGTERM, SIGINT) waits for requests in flight before closing the
   * connections still open (a slow upload, a client that never finishes); default 10000.
   */
  SHUTDOWN_GRACE_MS: z.preprocess(blankAsUndefined, z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(0).max(3_600_000).default(10_000)),
};

type OperationsEnv = { [K in keyof typeof operationsEnvSchema]?: z.infer<(typeof operationsEnvSchema)[K]> } & {
  PORT?: number;
  /** The playground switch, once parsed (a production deployment turns the playground on with it). */
  PLAYGROUND_ENABLED?: boolean;
};

/** Which documents a request may run (src/graphql/trusted-documents/). */
export type TrustedDocumentsMode = z.infer<typeof operationsEnvSchema.TRUSTED_DOCUMENTS>;

export interface MetricsConfig {
  /** Port of the Prometheus listener (`GET /metrics`), bound to HOST; undefined: none. */
  port?: number;
}

/**
 * The trusted-documents mode and the metrics listener, or problems added to `problems`
 * (reported with every other configuration problem): METRICS_PORT must not be the API's PORT,
 * or metrics would be served on the public listener's address; PLAYGROUND_ENABLED=true with
 * TRUSTED_DOCUMENTS=only contradict each other (the playground sends free text, which `only`
 * refuses), so they are refused together rather than one being silently ignored.
 */
export function operationsConfig(e: OperationsEnv, problems: string[]): { trustedDocuments: TrustedDocumentsMode; metrics: MetricsConfig; shutdownGraceMs: number } {
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) {
    problems.push(`METRICS_PORT must differ from PORT (${e.PORT}): metrics are served on their own listener, never on the API's.`);
  }
  if (e.PLAYGROUND_ENABLED === true && e.TRUSTED_DOCUMENTS === 'only') {
    problems.push('PLAYGROUND_ENABLED=true and TRUSTED_DOCUMENTS=only contradict each other: the playground sends free-form queries, which `only` refuses. Unset one.');
  }
  return { trustedDocuments: e.TRUSTED_DOCUMENTS ?? 'allow', metrics: { port: e.METRICS_PORT }, shutdownGraceMs: e.SHUTDOWN_GRACE_MS ?? 10_000 };
}
