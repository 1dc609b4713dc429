-- 009: the attempts holding their job's state are indexed by (org_id, job_status) instead of
-- (org_id, started_at), as SQLite's 006: the history's reads by state (the dead-letter queue's
-- FAILED jobs, a replay's check) seek to those attempts instead of reading every delivered one of
-- the org, and nothing read the index in started_at order. Checked (2026-12-07, 200,000 attempts
-- of one org, 10 of them FAILED, analyzed): the dead-letter queue's read is an index scan of
-- attempts_job_state, 3 ms.
DROP INDEX IF EXISTS attempts_job_state;
CREATE INDEX attempts_job_state ON attempts(org_id, job_status) WHERE job_status IS NOT NULL;
