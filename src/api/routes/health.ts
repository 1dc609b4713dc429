// Liveness and readiness. /readyz answers 503 when the database cannot be reached, so a load
// balancer stops sending traffic to a process that would fail every request.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';

export function healthRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/healthz', { config: { access: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    try {
      await ctx.store.ping();
      return { status: 'ready', database: ctx.store.engine };
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'unavailable', database: ctx.store.engine, error: 'database unreachable' });
    }
  });
}
