// /metrics on a port of its own (HOOKRELAY_METRICS_PORT): for processes without the API (`worker`)
// and for scrapers kept off the API's port. It answers GET /metrics and nothing else. Without
// HOOKRELAY_METRICS_TOKEN it asks for no token: it listens on HOOKRELAY_METRICS_HOST, loopback
// unless set otherwise (service.ts warns when it is not).
import http from 'node:http';
import type { AppContext } from '../context.ts';
import { metricsRefusal } from './metrics-access.ts';

export async function startMetricsServer(ctx: AppContext, port: number, host: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const answer = (status: number, body: string, type = 'application/json') => res.writeHead(status, { 'content-type': type }).end(body);
    const error = (status: number, code: string, message: string) => answer(status, JSON.stringify({ error: { code, message } }));
    if ((req.url ?? '').split('?')[0] !== '/metrics') return error(404, 'NOT_FOUND', `route ${req.method} ${(req.url ?? '').split('?')[0]} not found: this port serves GET /metrics only`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(405, 'METHOD_NOT_ALLOWED', 'method: only GET is served');
    void (async () => {
      if (ctx.config.metricsToken !== null) {
        const refused = await metricsRefusal(ctx, req.headers.authorization);
        if (refused) return error(refused.status, refused.code, refused.message);
      }
      answer(200, await ctx.metrics.render(), ctx.metrics.contentType);
    })().catch((err) => {
      ctx.log.error({ err }, 'metrics: the page could not be made');
      if (!res.headersSent) error(500, 'INTERNAL', 'the metrics could not be read');
    });
  });
  // A scraper that stops mid-request does not hold a socket for good.
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    // A scrape still open at shutdown is cut: the next one goes to another process.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
