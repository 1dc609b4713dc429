-- 005: events lose their (org_id, created_at) index. No statement reads events by org or time:
-- they are read by id (a claim's payloads, an event's jobs, resends), and every publish paid for
-- the index all the same. Measured (2026-12-07, better-sqlite3 alone, 100,000 rows of ~1.2 KB in
-- transactions of 100, three alternated rounds): 3.41-3.72 us of CPU per inserted event with it,
-- 3.02-3.09 without. (It once drew SQLite's planner away from the primary key, see
-- SqlQueueStore.eventsById.)
DROP INDEX IF EXISTS events_org_created;
