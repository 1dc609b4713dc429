// Liveness and readiness. /readyz answers 503 when the database cannot be reached, so a load
// balancer stops sending traffic to a process that would fail every request.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';

export function healthRoutes(app: FastifyInstance, ctx: AppContext) {
  // Probes every few seconds: their requests are not logged (two info lines each), their failures are.
  app.get('/healthz', { config: { access: 'public' }, schema: { hide: true }, logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { access: 'public' }, schema: { hide: true }, logLevel: 'warn' }, async (req, reply) => {
    try {
      await ctx.store.ping();
      return { status: 'ready', database: ctx.store.engine };
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'unavailable', database: ctx.store.engine, error: 'database unreachable' });
    }
  });
}
