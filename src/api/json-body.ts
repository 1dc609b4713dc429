// JSON request bodies (and a multipart publish's `event` part): parsed as Fastify's own parser
// does (secure-json-parse, a "__proto__" or "constructor.prototype" key refused), with a 400 that
// says which went wrong and where (Fastify's said "Body is not valid JSON" for both, also for
// valid JSON holding such a key), and refused beyond MAX_JSON_DEPTH levels of nesting.
//
// The depth: a JSON document of 1 MB can nest ~10,000 levels, and recursive code down the line
// (JSON.stringify of an event's data, structuredClone and postMessage of a webhook's settings to
// the storage thread) then overflowed the stack: a 500, or a storage thread that died (API
// fuzzing, 2026-12-07: 3,000 levels in a webhook's storage_destination). No real event or
// setting nests that deep.
import sjson from 'secure-json-parse';
import { OptionalKind } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.ts';
import { refuseNul } from './no-nul.ts';

export const MAX_JSON_DEPTH = 64;

const OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

/** The JSON document `text`, or a 400 naming `field`. */
export function parseJsonBody(text: string, field = 'body'): unknown {
  if (text.length === 0) throw new ApiError(400, 'MALFORMED_JSON', `${field}: is empty; send a JSON document, or no content-type`, field);
  let value: unknown;
  try {
    value = sjson.parse(text, OPTIONS);
  } catch (err) {
    const m = (err as Error).message;
    if (/forbidden prototype property/.test(m)) {
      throw new ApiError(400, 'FORBIDDEN_KEY', `${field}: holds a "__proto__" key or a "constructor" with a "prototype", which are refused`, field);
    }
    throw new ApiError(400, 'MALFORMED_JSON', `${field}: is not valid JSON (${m})`, field);
  }
  refuseNul(value, field, text);
  return shallowEnough(value, field);
}

/** `value` (parsed JSON), or a 400 naming `field` when it nests deeper than MAX_JSON_DEPTH. */
export function shallowEnough(value: unknown, field = 'body'): unknown {
  if (tooDeep(value, 1)) throw new ApiError(400, 'INVALID_FIELD', `${field}: objects and arrays nest deeper than ${MAX_JSON_DEPTH} levels`, field);
  return value;
}

function tooDeep(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_JSON_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (tooDeep(v, depth + 1)) return true;
  } else {
    for (const k in value) if (tooDeep((value as Record<string, unknown>)[k], depth + 1)) return true;
  }
  return false;
}

/** Whether a route's body schema is declared Type.Optional (JSON Schema itself cannot say so). */
/**
 * A body schema whose objects with declared properties take no others: a copy, with
 * `additionalProperties: false` where the schema says nothing (free-form objects, such as an
 * event's data, say `true`). An unknown field was dropped without a word: a typo of
 * signature_verification made an unsigned webhook, of idempotency_key a publish without
 * deduplication (operator audit, 2026-12-08). Now a 400 names it.
 */
export function closedObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closedObjects);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'properties' || k === 'patternProperties' || k === '$defs' ? mapValues(v as Record<string, unknown>) : closedObjects(v);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined && out.patternProperties === undefined) out.additionalProperties = false;
  return out;
}

function mapValues(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, closedObjects(v)]));
}

export function bodyIsOptional(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as Record<symbol, unknown>)[OptionalKind] === 'Optional';
}

/** Replaces Fastify's parser of application/json with parseJsonBody, within the same body limit. */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    try {
      // A route that reads no body, or an optional object of fields that may all be left out,
      // takes an empty one as left out: clients send the content-type of their JSON calls on
      // calls with no body too. (A publish, whose body is optional only as multipart carries its
      // event in a part, still answers that the body is empty.)
      const schema = req.routeOptions.schema?.body as { type?: unknown } | undefined;
      if (body === '' && (schema === undefined || (bodyIsOptional(schema) && schema.type === 'object'))) return done(null, undefined);
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
