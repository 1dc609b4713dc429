-- no transaction
-- 011: attempts by event, for the history of given events (the job history's `events`,
-- GET /api/v1/events/{id}/jobs): their attempts were found by the job ids' prefix (between
-- `<event>.` and `<event>/`), a range that a database collation ignoring punctuation does not
-- keep (glibc's en_US.UTF-8: 'n.e.0' < 'n.e/' is false), so those reads found none of an
-- event's delivered jobs there. Built as 010 builds its indexes (CONCURRENTLY, under a name of
-- its own first; safe to run again after a stop anywhere).
DROP INDEX CONCURRENTLY IF EXISTS attempts_event_011;
CREATE INDEX CONCURRENTLY attempts_event_011 ON attempts(event_id);
DROP INDEX CONCURRENTLY IF EXISTS attempts_event;
ALTER INDEX attempts_event_011 RENAME TO attempts_event;
