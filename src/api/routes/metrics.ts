// GET /metrics: Prometheus's text format (src/observability/metrics.ts), for the scraper's token
// or an administrator (metrics-access.ts).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { metricsRefusal } from '../../observability/metrics-access.ts';
import { ApiError } from '../errors.ts';

export function metricsRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true }, logLevel: 'warn' }, async (req, reply) => {
    const refused = await metricsRefusal(ctx, req.headers.authorization);
    if (refused) throw new ApiError(refused.status, refused.code, refused.message);
    return reply.type(ctx.metrics.contentType).send(await ctx.metrics.render());
  });
}
