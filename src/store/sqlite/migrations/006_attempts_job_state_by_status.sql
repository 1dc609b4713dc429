-- 006: the attempts holding their job's state are indexed by (org_id, job_status) instead of
-- (org_id, started_at): the history's reads by state (the dead-letter queue's FAILED jobs, a
-- replay's check) seek to those attempts instead of reading every delivered one of the org, and
-- nothing read the index in started_at order. As many entries as before, one per recorded job.
-- Measured (2026-12-07, npm run bench:history, one webhook, empty dead-letter queue): 43-46 ms
-- after 100,000 deliveries and 128-134 ms after 300,000 before, 1-3 and 1-2 ms after; the other
-- history reads unchanged.
DROP INDEX IF EXISTS attempts_job_state;
CREATE INDEX attempts_job_state ON attempts(org_id, job_status) WHERE job_status IS NOT NULL;
