// Ids of rows written on the hot path (events, jobs, attempts, attachments): UUIDv7, time-ordered,
// so each insert lands on the right edge of the primary-key B-tree instead of a random page.
// Bench (2026-11-22, SQLite, 50k rows, commits of 10 rows): 0.44 ms per commit with random v4
// ids, 0.25 ms with v7. Still UUIDs, so `n.<uuid>` keeps its documented shape.
import crypto from 'node:crypto';

/**
 * A UUIDv7: 48 bits of Unix milliseconds, then version 7 and the random bits of a v4 (whose
 * variant bits are the same). Built from randomUUID, which draws from a cached entropy pool: the
 * `uuid` package's v7 filled a fresh buffer per call, 3% of the service's time at 1,000 events/s.
 */
export function newId(): string {
  const u = crypto.randomUUID();
  const t = Date.now().toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${u.slice(15)}`;
}
