// One error shape for every 4xx/5xx: { error: { code, message, field? } }. The message always
// names the field and the problem, so a client or a UI can point at what to fix.
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FieldError } from '../domain/webhook-input.ts';
import { IdentityError } from '../services/identity.ts';
import { ConflictError } from '../store/types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string, field?: string) => new ApiError(404, 'NOT_FOUND', `${what} "${id}" not found`, field);
export const badRequest = (field: string, problem: string) => new ApiError(400, 'INVALID_FIELD', `${field}: ${problem}`, field);
export const forbidden = (message: string) => new ApiError(403, 'FORBIDDEN', message);

const CONFLICT_MESSAGES: Record<ConflictError['constraint'], [string, string]> = {
  webhook_liveboard: ['events', 'this org already has a webhook for LIVEBOARD_SCHEDULE; only one is allowed per org'],
  webhook_name: ['name', 'a webhook with this name already exists in the org'],
  missing_reference: ['', 'a record this request refers to (an org, a user) was deleted meanwhile'],
  org_name: ['name', 'an org with this name already exists'],
  user_name: ['name', 'a user with this name already exists'],
  other: ['', 'the request conflicts with existing data'],
};

/** "/a/0/b" and missingProperty "c" -> "a[0].b.c" */
function fieldPath(instancePath: string, missing?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (missing) parts.push(missing);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || 'body';
}

/** One of Ajv's errors as a 400 naming its field. */
function schemaError(v: { instancePath?: string; message?: string; params?: Record<string, any>; parentSchema?: { properties?: Record<string, unknown> } }): ApiError {
  const field = fieldPath(v.instancePath ?? '', v.params?.missingProperty ?? v.params?.additionalProperty);
  const known = Object.keys(v.parentSchema?.properties ?? {});
  const problem = v.params?.missingProperty
    ? 'is required'
    : v.params?.additionalProperty
      ? `is not a field ${v.instancePath ? `of ${fieldPath(v.instancePath)}` : 'of this request'} (misspelt?)${known.length ? `; its fields are ${known.join(', ')}` : ''}`
      : v.params?.allowedValues
        ? `must be one of ${v.params.allowedValues.join(', ')}`
        : v.message;
  return new ApiError(400, 'INVALID_FIELD', `${field}: ${problem}`, field);
}

export function toApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof FieldError) return new ApiError(400, 'INVALID_FIELD', err.message, err.field);
  if (err instanceof IdentityError) return new ApiError(err.status, err.status === 401 ? 'UNAUTHORIZED' : err.status === 404 ? 'NOT_FOUND' : 'INVALID_FIELD', err.message, err.field);
  if (err instanceof ConflictError) {
    const [field, problem] = CONFLICT_MESSAGES[err.constraint];
    // A concurrent delete (an org deleted while a user or its preferences were being written): gone, not a conflict.
    if (err.constraint === 'missing_reference') return new ApiError(404, 'NOT_FOUND', problem);
    return new ApiError(400, 'CONFLICT', field ? `${field}: ${problem}` : problem, field || undefined);
  }
  const fe = err as FastifyError & { validation?: any[]; validationContext?: string };
  if (fe?.validation?.length) {
    // A union (a setting or null): its branches' errors come first, then the union's own. A value
    // of the branch's type that fails inside it is told by that failure (an enum, a missing
    // field: it was "must be null", the other branch's complaint); a value of none of the types
    // by the types it may be.
    const union = fe.validation.find((e) => e.keyword === 'anyOf');
    if (union) {
      const at = union.instancePath ?? '';
      const inner = fe.validation.find((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.instancePath === at));
      if (inner) return schemaError(inner);
      const field = fieldPath(at);
      const types = fe.validation.filter((e) => e.keyword === 'type' && e.instancePath === at).map((e) => e.params?.type);
      const problem = types.length ? `must be ${[...new Set(types)].join(' or ')}` : 'does not match any of the accepted forms';
      return new ApiError(400, 'INVALID_FIELD', `${field}: ${problem}`, field);
    }
    return schemaError(fe.validation[0]);
  }
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'body: request body is larger than the limit', 'body');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'MALFORMED_JSON', `body: ${fe.message}`, 'body');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type: must be application/json (or multipart/form-data for POST /api/v1/events)', 'content-type');
    case 'FST_FILES_LIMIT':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', `files: at most ${MULTIPART_LIMITS.files} files in one event`, 'files');
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ApiError(413, 'PAYLOAD_TOO_LARGE', `body: at most ${MULTIPART_LIMITS.fields} form fields besides the files`, 'body');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Fastify's message quoted the whole path back.
      return new ApiError(414, 'URI_TOO_LONG', `path: a path parameter is longer than ${MAX_PARAM_LENGTH} characters`, 'path');
    case 'FST_ERR_BAD_URL':
      return new ApiError(400, 'INVALID_FIELD', 'path: a path parameter is not valid percent-encoded UTF-8', 'path');
  }
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new ApiError(fe.statusCode, 'BAD_REQUEST', fe.message);
  return null;
}

/** The longest path parameter taken (app.ts gives it to Fastify). */
export const MAX_PARAM_LENGTH = 1024;

/** @fastify/multipart's limits of one publish (app.ts registers them; the messages quote them). */
export const MULTIPART_LIMITS = { files: 20, fields: 5 };

/**
 * The status an operation of ThoughtSpot's API answers with. @thoughtspot/rest-api-sdk reads the
 * error body of a 400, 401, 403 or 500 only; a 404 (a record not found) or 409 (an update that
 * kept meeting concurrent ones) reached its callers as "Unknown API Status Code" with the body as
 * text (SDK audit, 2026-12-07). Those operations answer them as 400; the body's code (NOT_FOUND,
 * CONFLICT) still tells them apart. A path that is no operation stays a 404, as do HookRelay's
 * own routes (/api/v1).
 */
function sdkStatus(req: FastifyRequest, status: number): number {
  if (status !== 404 && status !== 409) return status;
  return req.routeOptions?.url?.startsWith('/api/rest/2.0/') ? 400 : status;
}

export function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const api = toApiError(err);
  // An answer before the whole body was read (a 413 midway through a multipart upload): the rest
  // of it would be taken as the next request on the connection, which then never answered (API
  // fuzzing, 2026-12-07). The connection closes after the answer instead.
  if (!req.raw.complete) reply.header('connection', 'close');
  if (api) {
    return reply.status(sdkStatus(req, api.status)).send({ error: { code: api.code, message: api.message, ...(api.field ? { field: api.field } : {}) } });
  }
  const down = storageDown(err);
  if (down) {
    req.log.error({ err }, 'the database is unavailable');
    reply.header('retry-after', '5');
    return reply.status(503).send({
      error: { code: 'UNAVAILABLE', message: `the database is unavailable (${down}): send the request again later (a publish with an idempotency key is safe to repeat)`, request_id: req.id },
    });
  }
  req.log.error({ err }, 'unhandled error');
  return reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error; see the service log', request_id: req.id } });
}

/** PostgreSQL's SQLSTATEs of an unavailable server: connection (08), resources (53: disk full, too many connections), shut down or starting (57P01-57P03). */
const PG_DOWN = /^(08...|53...|57P0[123])$/;
const NET_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/**
 * Why the database cannot serve the request now (full disk, read-only file, server down), or
 * null: a 503 with Retry-After, which publishers retry, not the 500 of a bug (operator audit,
 * 2026-12-08: a full disk and a stopped PostgreSQL answered 500).
 */
export function storageDown(err: unknown): string | null {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|BUSY|LOCKED)/.test(code)) return code;
  if (PG_DOWN.test(code) || NET_DOWN.has(code)) return code;
  const message = typeof e?.message === 'string' ? e.message : '';
  // pg's own, which carry no code.
  if (/^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/.test(message)) return message;
  return null;
}

/**
 * Requests Node refuses before Fastify sees them (headers over Node's 16 KB, a request that is
 * not HTTP, a client too slow to send one), answered in the API's error shape: Fastify's own
 * answer had another (API fuzzing, 2026-12-07). The connection closes after it, as Node's does.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, field, message] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'HEADERS_TOO_LARGE', 'headers', 'headers: the request line and headers are larger than 16 KB in all']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'TIMEOUT', undefined, 'the request did not arrive in time']
    : [400, 'BAD_REQUEST', undefined, 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: { code, message, ...(field ? { field } : {}) } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
