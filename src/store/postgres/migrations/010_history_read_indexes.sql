-- no transaction
-- 010: indexes for the delivery history's reads, as SQLite's 007 (figures there): a webhook's
-- attempts by (webhook_id, org_id, started_at), so the newest attempt of each webhook is a seek
-- (latestAttemptPerWebhook) and a count of a webhook's attempts can be answered from the index;
-- the attempts holding their job's state by (org_id, job_status, their job's updated_at), so a
-- page of jobs reads its first rows of each state instead of sorting them all (listJobs).
-- Measured (2026-12-07, bench:history --engine=postgres, 300,000 deliveries to one webhook,
-- tables analyzed): the job history 555-599 -> 29-38 ms, the webhook table with last deliveries
-- 60-61 -> 2-4 ms.
--
-- Built CONCURRENTLY, outside a transaction (see NO_TRANSACTION in postgres/index.ts): the
-- attempts table is the largest, and the processes of a rolling upgrade go on recording attempts
-- meanwhile. Each new index is built under a name of its own, then takes the old one's place; run
-- again after a stop anywhere, it builds what is missing (an interrupted build leaves an invalid
-- index, dropped first).
DROP INDEX CONCURRENTLY IF EXISTS attempts_webhook_010;
CREATE INDEX CONCURRENTLY attempts_webhook_010 ON attempts(webhook_id, org_id, started_at);
DROP INDEX CONCURRENTLY IF EXISTS attempts_webhook;
ALTER INDEX attempts_webhook_010 RENAME TO attempts_webhook;
DROP INDEX CONCURRENTLY IF EXISTS attempts_job_state_010;
CREATE INDEX CONCURRENTLY attempts_job_state_010 ON attempts(org_id, job_status, (started_at + duration_ms)) WHERE job_status IS NOT NULL;
DROP INDEX CONCURRENTLY IF EXISTS attempts_job_state;
ALTER INDEX attempts_job_state_010 RENAME TO attempts_job_state;
