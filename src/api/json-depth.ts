// Request bodies nested without bound: a JSON document of 1 MB can nest ~10,000 levels, and
// recursive code down the line (JSON.stringify of an event's data, structuredClone and
// postMessage of a webhook's settings to the storage thread) then overflowed the stack: a 500,
// or a storage thread that never answered (API fuzzing, 2026-12-07: 3,000 levels in a webhook's
// storage_destination made every later read of that webhook hang). Bodies are refused beyond a
// depth no real event or setting needs.
import { ApiError } from './errors.ts';

export const MAX_JSON_DEPTH = 64;

/** Throws a 400 naming `field` when objects and arrays in `value` nest deeper than MAX_JSON_DEPTH. */
export function assertJsonDepth(value: unknown, field = 'body'): void {
  if (tooDeep(value, 1)) throw new ApiError(400, 'INVALID_FIELD', `${field}: objects and arrays nest deeper than ${MAX_JSON_DEPTH} levels`, field);
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
