// record_offset / record_size handling shared by the search endpoints. record_size -1 means "all",
// as in ThoughtSpot, bounded so one request cannot ask for an unbounded result.
import { badRequest } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 10_000;

export function page(offset: number | undefined, size: number | undefined): { offset: number; limit: number } {
  const o = offset ?? 0;
  const s = size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(o) || o < 0) throw badRequest('record_offset', 'must be a non-negative integer');
  if (!Number.isInteger(s) || (s < 1 && s !== -1)) throw badRequest('record_size', 'must be a positive integer or -1 for all');
  if (s > MAX_PAGE_SIZE) throw badRequest('record_size', `must be at most ${MAX_PAGE_SIZE}`);
  return { offset: o, limit: s === -1 ? MAX_PAGE_SIZE : s };
}
