import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/index.js';
import type { Orm } from '../../db/orm.js';
import { findDemoSignIn } from './demo.js';
import { playgroundHtml } from './page.js';
import { registerPlaygroundRoutes } from './routes.js';

// The GraphiQL playground, served entirely from this server: no request leaves the machine, so
// it works offline and inside a customer's closed network (Apollo's embedded Sandbox loads from
// Apollo's servers). Ruru is PostGraphile's prebuilt GraphiQL (MIT): the `ruru` package ships
// GraphiQL, React, Monaco, its workers, CSS and font as ready files plus a function that serves
// them, so nothing is bundled here and no build step is added. Pinned to 2.0.0-rc.3, the last
// release that supports Node 20 (2.0.0-rc.4 and later declare node >= 22).

export interface Playground {
  /** Apollo plugin answering a browser's GET of /graphql with the page. */
  landingPage: ApolloServerPlugin;
  /** Adds the routes of the page's files and the page's headers (see routes.ts). */
  registerRoutes(app: FastifyInstance): void;
}

/**
 * The playground when `config.playground` is on (else undefined: Apollo's landing page stays
 * disabled and a browser's GET of /graphql gets a JSON error). Outside production, the first
 * operation signs in as the demo user when the demo users exist; in production never.
 */
export async function createPlayground(config: AppConfig, orm: Orm, logger: Logger): Promise<Playground | undefined> {
  if (!config.playground) return undefined;
  const demo = config.isProduction ? undefined : await findDemoSignIn(orm, logger);
  const html = playgroundHtml({ demo, production: config.isProduction });
  return {
    landingPage: { serverWillStart: async () => ({ renderLandingPage: async () => ({ html }) }) },
    registerRoutes: registerPlaygroundRoutes,
  };
}
