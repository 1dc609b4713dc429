// Builds the Fastify application: error shape, authentication, OpenAPI document and the routes.
import crypto from 'node:crypto';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import AjvModule from 'ajv';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAuth } from './api/auth.ts';
import { clientErrorHandler, errorHandler, MAX_PARAM_LENGTH, MULTIPART_LIMITS } from './api/errors.ts';
import { bodyIsOptional, closedObjects, registerJsonBody } from './api/json-body.ts';
import { registerNulCheck } from './api/no-nul.ts';
import { authRoutes } from './api/routes/auth.ts';
import { SignInThrottle } from './security/sign-in-throttle.ts';
import { channelJobRoutes } from './api/routes/channel-jobs.ts';
import { deliveryRoutes } from './api/routes/deliveries.ts';
import { eventRoutes } from './api/routes/events.ts';
import { sessionRoutes } from './api/routes/session.ts';
import { healthRoutes } from './api/routes/health.ts';
import { metricsRoutes } from './api/routes/metrics.ts';
import { orgRoutes } from './api/routes/orgs.ts';
import { preferenceRoutes } from './api/routes/preferences.ts';
import { userRoutes } from './api/routes/users.ts';
import { passwordRoutes } from './api/routes/passwords.ts';
import { webhookRoutes } from './api/routes/webhooks.ts';
import type { AppContext } from './context.ts';
import type { Sender } from './delivery/sender.ts';
import { createValidationCheck } from './delivery/validation.ts';
import { VERSION } from './version.ts';

// ajv is CommonJS with its class as `default`: under ESM the import is the module object.
const Ajv = AjvModule.default;

export async function buildApp(ctx: AppContext, sender: Sender): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger and Fastify's logger type differ only nominally.
    loggerInstance: ctx.log as unknown as FastifyBaseLogger,
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: ctx.config.trustProxy,
    // Without it a client that stops sending mid-body holds its connection, and a multipart
    // publish its attachment memory, for good: five stalled uploads blocked every multipart
    // publish (fuzzing, 2026-12-07). Idle time, so a slow upload that keeps sending goes on.
    connectionTimeout: ctx.config.clientIdleTimeoutMs,
    // A webhook's name (up to 255 characters, percent-encoded up to three times as long) is a
    // path parameter: Fastify's default of 100 answered 414 for a name of 101.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own errors (a path not percent-decodable) in the API's error shape too.
    frameworkErrors: (err, req, reply) => errorHandler(err, req, reply),
    clientErrorHandler,
    // Request ids unique across processes and restarts (Fastify's count, req-1, req-2, ..., was
    // not), or the caller's X-Request-Id when it is a plain token; answered in X-Request-Id.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    },
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // Query strings and path parameters are text: coercion lets them carry numbers. JSON bodies
  // carry their own types and are not coerced: with coercion `"signature_verification": false`
  // became null and removed the signature, `true` became the name "true" (API fuzzing, 2026-12-07).
  const ajvOptions = { useDefaults: true, removeAdditional: true, addUsedSchema: false, allErrors: false } as const;
  const coercing = new Ajv({ ...ajvOptions, coerceTypes: true });
  // Bodies keep their unknown fields for Ajv to refuse (closedObjects): removed, a typo went unnoticed.
  // verbose: an error carries its schema, whose fields the message of an unknown one lists.
  const strict = new Ajv({ ...ajvOptions, coerceTypes: false, removeAdditional: false, verbose: true });
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = httpPart === 'body' ? strict.compile(closedObjects(schema) as typeof schema) : coercing.compile(schema);
    // A body declared Type.Optional (replay-all's filters, revoke's fields) may be left out:
    // TypeBox marks the schema, which JSON Schema cannot say, so Ajv refused a request without
    // one ("body: must be object"). Fastify passes an absent body as null.
    if (httpPart !== 'body' || !bodyIsOptional(schema)) return validate;
    const optional = (data: unknown): boolean => {
      if (data === null) return true;
      const ok = validate(data) as boolean;
      optional.errors = validate.errors;
      return ok;
    };
    optional.errors = null as typeof validate.errors;
    return optional;
  });
  registerJsonBody(app);
  registerNulCheck(app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `route ${req.method} ${req.url.split('?')[0]} not found` } }));

  await app.register(swagger, {
    // Routes that need no token say so: the document had every route inherit bearerAuth, the
    // token endpoint included (operator audit, 2026-12-08).
    transform: ({ schema, url, route }) => ({ schema: route.config?.access === 'public' ? { ...schema, security: [] } : schema, url }),
    openapi: {
      info: { title: 'HookRelay API', version: VERSION, description: 'Webhook delivery with a ThoughtSpot v2.0-compatible management API' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearerAuth: [] }],
    },
  });
  // Swagger UI is documentation: readable without a token, like /openapi.json.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config as object), access: 'public' } as typeof route.config;
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiHooks: {}, staticCSP: true });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  // Attachments: the whole event may carry maxAttachmentBytes; one byte more trips the 413.
  await app.register(multipart, { limits: { fileSize: ctx.config.delivery.maxAttachmentBytes + 1, ...MULTIPART_LIMITS, fieldSize: ctx.config.bodyLimitBytes } });
  await app.register(cookie);
  registerAuth(app, ctx);
  // Every answer counted by its route's pattern (bounded), not its URL; no route: "unmatched".
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.request(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  healthRoutes(app, ctx);
  metricsRoutes(app, ctx);
  // One count of failed sign-ins for the token endpoint and the console's sign-in.
  const throttle = new SignInThrottle();
  authRoutes(app, ctx, throttle);
  orgRoutes(app, ctx);
  userRoutes(app, ctx);
  passwordRoutes(app, ctx, throttle);
  webhookRoutes(app, ctx);
  preferenceRoutes(app, ctx);
  eventRoutes(app, ctx);
  sessionRoutes(app, ctx, throttle);
  deliveryRoutes(app, ctx);
  channelJobRoutes(app, ctx, createValidationCheck(ctx, sender));
  await app.register(import('./api/console-static.ts')); // web console at / (console/dist)
  return app;
}
