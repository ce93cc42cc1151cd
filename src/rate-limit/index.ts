import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { RateLimitConfig } from '../config/rate-limit.js';
import type { GraphQLContext } from '../graphql/context.js';
import { rateLimitPlugin } from './graphql-plugin.js';
import { createRateLimitStore, type RateLimitStore } from './limiter.js';
import { createInvitationThrottle, type InvitationThrottle } from './invitation-throttle.js';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.js';
import { createSignUpThrottle, type SignUpThrottle } from './sign-up-throttle.js';

export type { InvitationThrottle } from './invitation-throttle.js';
export type { LoginThrottle } from './login-throttle.js';
export type { SignUpThrottle } from './sign-up-throttle.js';

export interface RateLimits {
  store: RateLimitStore;
  /** The per-organization / per-address request budget; empty when RATE_LIMIT_ENABLED=false. */
  plugins: ApolloServerPlugin<GraphQLContext>[];
  loginThrottle: LoginThrottle;
  /** Per address and per email, before the password is hashed (always on, like login throttling). */
  signUpThrottle: SignUpThrottle;
  /** Invitation emails per organization (always on). */
  invitationThrottle: InvitationThrottle;
  close(): Promise<void>;
}

/**
 * Everything rate-limited, on one store. With REDIS_URL it waits (at most 2 s) for Redis, so
 * the first requests already count in the shared store; when Redis does not answer it starts
 * anyway, counting per instance (see limiter.ts).
 */
export async function createRateLimits(config: RateLimitConfig, logger: Logger): Promise<RateLimits> {
  const store = createRateLimitStore(config, logger);
  await store.ready();
  const plugins = config.enabled
    ? [
        rateLimitPlugin({
          organization: store.limiter('org', config.points, config.windowSeconds),
          address: store.limiter('ip', config.anonymousPoints, config.windowSeconds),
        }),
      ]
    : [];
  return {
    store,
    plugins,
    loginThrottle: createLoginThrottle(store, config.login),
    signUpThrottle: createSignUpThrottle(store, config.signUp),
    invitationThrottle: createInvitationThrottle(store, config.invitations),
    close: () => store.close(),
  };
}
