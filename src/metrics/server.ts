import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

/**
 * The metrics listener: `GET /metrics` in Prometheus's text exposition format (version 0.0.4,
 * prom-client's Registry.contentType), on its own port (METRICS_PORT), never on the API's
 * listener. Everything else answers 404. Scrapes are not access-logged (one every few seconds).
 * Does not listen: main.ts does, and the tests.
 */
export function createMetricsServer({ metrics, logger }: { metrics: Metrics; logger: Logger }): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger.child({ listener: 'metrics' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
  return app;
}
