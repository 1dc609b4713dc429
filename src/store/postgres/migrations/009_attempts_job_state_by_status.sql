-- no transaction
-- 009: the attempts holding their job's state are indexed by (org_id, job_status) instead of
-- (org_id, started_at), as SQLite's 006: the history's reads by state (the dead-letter queue's
-- FAILED jobs, a replay's check) seek to those attempts instead of reading every delivered one of
-- the org, and nothing read the index in started_at order. Checked (2026-12-07, 200,000 attempts
-- of one org, 10 of them FAILED, analyzed): the dead-letter queue's read is an index scan of
-- attempts_job_state, 3 ms.
-- Built as 010 builds its indexes (CONCURRENTLY, under a name of its own first; safe to run again
-- after a stop anywhere): as a plain CREATE INDEX in a transaction it held every attempt record of
-- a rolling upgrade's older processes back while it read the whole attempts table.
DROP INDEX CONCURRENTLY IF EXISTS attempts_job_state_009;
CREATE INDEX CONCURRENTLY attempts_job_state_009 ON attempts(org_id, job_status) WHERE job_status IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS attempts_job_state;
ALTER INDEX attempts_job_state_009 RENAME TO attempts_job_state;
