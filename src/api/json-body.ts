// JSON request bodies: parsed as Fastify's own parser does (secure-json-parse, a "__proto__" or
// "constructor.prototype" key refused), but the 400 says which of the two went wrong, and where:
// Fastify's answered "Body is not valid JSON" for both, also for valid JSON with such a key
// (API fuzzing, 2026-12-07).
import sjson from 'secure-json-parse';
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.ts';

const OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;

export function parseJsonBody(text: string): unknown {
  if (text.length === 0) throw new ApiError(400, 'MALFORMED_JSON', 'body: is empty; send a JSON document, or no content-type', 'body');
  try {
    return sjson.parse(text, OPTIONS);
  } catch (err) {
    const m = (err as Error).message;
    if (/forbidden prototype property/.test(m)) {
      throw new ApiError(400, 'FORBIDDEN_KEY', 'body: holds a "__proto__" key or a "constructor" with a "prototype", which are refused', 'body');
    }
    throw new ApiError(400, 'MALFORMED_JSON', `body: is not valid JSON (${m})`, 'body');
  }
}

/** Replaces Fastify's parser of application/json with parseJsonBody, within the same body limit. */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
