// Ids of rows written on the hot path (events, jobs, attempts, attachments): UUIDv7, time-ordered,
// so each insert lands on the right edge of the primary-key B-tree instead of a random page.
// Bench (2026-11-22, SQLite, 50k rows, commits of 10 rows): 0.44 ms per commit with random v4
// ids, 0.25 ms with v7. Still UUIDs, so `n.<uuid>` keeps its documented shape.
import { v7 } from 'uuid';

export const newId = (): string => v7();
