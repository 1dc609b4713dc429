// Serves the web console (console/dist, built by `npm run build:console` and committed) at `/`.
// - Every built file gets its own public route (@fastify/static with wildcard off).
// - Hashed files under /assets/ are cached for a year (immutable); index.html is revalidated.
// - Any other GET outside /api/ that does not look like a file answers index.html, so deep links
//   of the single-page app (/settings/webhooks/…) survive a reload; /api/… keeps its JSON 404.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const CONSOLE_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console/dist');

// The console only talks to its own origin and loads nothing from elsewhere.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function setHeaders(res: { setHeader(name: string, value: string): unknown }, filePath: string) {
  const rel = path.relative(CONSOLE_DIST, filePath).split(path.sep).join('/');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (rel.startsWith('assets/')) {
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    return;
  }
  res.setHeader('Cache-Control', 'no-cache');
  if (rel.endsWith('.html')) {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'same-origin');
  }
}

const isApi = (url: string) => url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
// The last path segment has an extension: a missing asset, not a page of the app.
const looksLikeFile = (pathname: string) => /\.[A-Za-z0-9]+$/.test(pathname.slice(pathname.lastIndexOf('/') + 1));

export async function consoleStatic(app: FastifyInstance, opts: { root?: string } = {}) {
  const root = opts.root ?? CONSOLE_DIST;
  // Routes of this plugin (and of @fastify/static inside it) need no token: the page is public,
  // the data behind it is not.
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object), access: 'public' } as typeof route.config;
  });

  if (!fs.existsSync(path.join(root, 'index.html'))) {
    app.log.warn({ root }, 'web console not built; run `npm run build:console`');
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.status(503).type('text/plain').send('The web console is not built. Run `npm run build:console`, then restart.\n'),
    );
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders,
  });

  const spa = (req: FastifyRequest, reply: FastifyReply) => {
    const pathname = req.url.split('?')[0];
    if (isApi(pathname) || looksLikeFile(pathname)) return reply.callNotFound();
    return reply.sendFile('index.html');
  };
  app.get('/*', { schema: { hide: true } }, spa);
}

export default consoleStatic;
