// NUL characters in a request's strings are refused with a 400 naming where they are, except in an
// event's data (stored as JSON text, in which a NUL stays the escape \u0000). PostgreSQL's text
// holds no NUL: a name, a description, an identifier looked up, an idempotency key or a path
// parameter holding one was a 500 there, on nearly every route (fuzzing, 2026-12-07).
import type { FastifyInstance } from 'fastify';
import { ApiError } from './errors.ts';

const refused = (field: string) => new ApiError(400, 'INVALID_FIELD', `${field}: must not contain NUL characters (\\u0000)`, field);

/** An event's data, where any JSON is taken as it is: `data` of a publish, `events[i].data` of a batch. */
const isEventData = (path: string) => path === 'data' || /^events\[\d+\]\.data$/.test(path);

/** The path of the first string (or key) holding a NUL, outside events' data; null when none does. */
function nulAt(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\0') ? path : null;
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = nulAt(value[i], `${path}[${i}]`);
      if (at !== null) return at;
    }
    return null;
  }
  for (const key in value) {
    const here = path ? `${path}.${key}` : key;
    if (key.includes('\0')) return here;
    if (isEventData(here)) continue;
    const at = nulAt((value as Record<string, unknown>)[key], here);
    if (at !== null) return at;
  }
  return null;
}

/**
 * A parsed JSON body (or a multipart publish's event part, `field` "event"), refused when a string
 * outside events' data holds a NUL. Given the JSON text, the walk runs only when the text holds
 * the escape "\u0000": valid JSON holds a NUL no other way, and most bodies are not walked.
 */
export function refuseNul(value: unknown, field: string, text?: string): void {
  if (text !== undefined && !text.includes('\\u0000')) return;
  const at = nulAt(value, '');
  if (at !== null) throw refused(field === 'body' ? at || 'body' : at ? `${field}.${at}` : field);
}

/** Path parameters and query strings holding a NUL (%00) are refused before the route runs. */
export function registerNulCheck(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    for (const part of [req.params, req.query] as unknown[]) {
      if (!part || typeof part !== 'object') continue;
      for (const [name, v] of Object.entries(part)) {
        if ((typeof v === 'string' && v.includes('\0')) || (Array.isArray(v) && v.some((x) => typeof x === 'string' && x.includes('\0')))) throw refused(name);
      }
    }
  });
}
