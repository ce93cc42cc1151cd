import { z } from 'zod';

// How the serving connections reach PostgreSQL: directly (or through a session-pooling
// pgbouncer), or through a pgbouncer in transaction pooling mode, which hands each transaction
// to whichever server connection is free. Spread into envSchema (env-schema.ts); `.env.example`
// documents each variable.

const blankAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const poolingEnvSchema = {
  /**
   * `session` (default): each of the app's connections is one PostgreSQL session of its own (a
   * direct connection, or pgbouncer's pool_mode=session). `transaction`: pgbouncer's
   * pool_mode=transaction in front of the serving connections: no session state may be relied
   * on, so fixed statements are sent unnamed and DATABASE_SERVING_URL is required.
   */
  DB_POOL_MODE: z.preprocess(blankAsUndefined, z.enum(['session', 'transaction'], { message: 'must be session or transaction' }).default('session')),
  /**
   * Where the serving connections log in, as a role that is `tenantql_app` or a member of it and
   * nothing more (never the schema owner): they then run no `SET ROLE`. Unset: they use the owner's
   * URL (DATABASE_URL, CUSTOMER_DATABASE_URL or the embedded server) and `SET ROLE tenantql_app`
   * once per connection, which only a session of their own keeps.
   */
  DATABASE_SERVING_URL: z.preprocess(
    blankAsUndefined,
    z.string().regex(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// or postgresql:// URL' }).optional(),
  ),
};

type PoolingEnv = { [K in keyof typeof poolingEnvSchema]?: z.infer<(typeof poolingEnvSchema)[K]> } & {
  /** The owner's URL once chosen (DATABASE_URL or, single-tenant, CUSTOMER_DATABASE_URL); unset: embedded. */
  ownerUrl?: string;
};

/** `session` or `transaction`: the pooling mode of whatever sits between the serving pool and PostgreSQL. */
export type DbPoolMode = z.infer<typeof poolingEnvSchema.DB_POOL_MODE>;

export interface PoolingConfig {
  poolMode: DbPoolMode;
  /** The serving connections' own login (see DATABASE_SERVING_URL); undefined: the owner's URL plus SET ROLE. */
  servingUrl?: string;
}

/**
 * The pooling settings, or problems added to `problems` (reported with every other configuration
 * problem). Refused: `transaction` without DATABASE_SERVING_URL, because a session-level
 * `SET ROLE` stays on the server connection that ran it (another client, the owner's migrations
 * included, would later run as tenantql_app) while this client's next transactions may land on a
 * server connection that never ran it, as the owner, outside row-level security (pgbouncer.org/features,
 * "SQL feature map for pooling modes": SET/RESET is session pooling only). And a serving URL with
 * no owner URL: the embedded server is reached only by its own superuser.
 */
export function poolingConfig(e: PoolingEnv, problems: string[]): PoolingConfig {
  const poolMode = e.DB_POOL_MODE ?? 'session';
  if (poolMode === 'transaction' && !e.DATABASE_SERVING_URL) {
    problems.push(
      'DB_POOL_MODE=transaction needs DATABASE_SERVING_URL: a login role with tenantql_app\'s rights only ' +
        '(e.g. `create role tenantql_serving login password \'...\' in role tenantql_app`), since SET ROLE does not survive transaction pooling.',
    );
  }
  if (e.DATABASE_SERVING_URL && !e.ownerUrl) {
    problems.push('DATABASE_SERVING_URL needs DATABASE_URL (or CUSTOMER_DATABASE_URL in single_tenant mode): the owner runs the migrations there.');
  }
  return { poolMode, servingUrl: e.DATABASE_SERVING_URL };
}
