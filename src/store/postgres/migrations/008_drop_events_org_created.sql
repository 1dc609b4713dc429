-- 008: events lose their (org_id, created_at) index, as SQLite's 005: no statement reads events
-- by org or time (they are read by id), and every publish paid for the index all the same.
DROP INDEX IF EXISTS events_org_created;
