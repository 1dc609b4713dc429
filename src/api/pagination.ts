// record_offset / record_size handling shared by the search endpoints. record_size -1 means "all",
// as in ThoughtSpot, bounded so one request cannot ask for an unbounded result.
import { badRequest } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 10_000;

/**
 * The largest offset taken (the SDK's int32): a larger number does not fit the databases'
 * integers (API fuzzing, 2026-12-07: offset=1e20 was a 500, "datatype mismatch" from SQLite).
 */
export const MAX_OFFSET = 2_147_483_647;

/** `names`: the request's names of the two (ThoughtSpot's, or the delivery API's offset and limit). */
export function page(offset: number | undefined, size: number | undefined, names: [string, string] = ['record_offset', 'record_size']): { offset: number; limit: number } {
  const o = offset ?? 0;
  const s = size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(o) || o < 0 || o > MAX_OFFSET) throw badRequest(names[0], `must be an integer from 0 to ${MAX_OFFSET}`);
  if (!Number.isInteger(s) || (s < 1 && s !== -1)) throw badRequest(names[1], 'must be a positive integer or -1 for all');
  if (s > MAX_PAGE_SIZE) throw badRequest(names[1], `must be at most ${MAX_PAGE_SIZE}`);
  return { offset: o, limit: s === -1 ? MAX_PAGE_SIZE : s };
}
