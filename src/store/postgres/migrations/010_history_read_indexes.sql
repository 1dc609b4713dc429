-- 010: indexes for the delivery history's reads, as SQLite's 007 (figures there): a webhook's
-- attempts by (webhook_id, org_id, started_at), so the newest attempt of each webhook is a seek
-- (latestAttemptPerWebhook) and a count of a webhook's attempts can be answered from the index;
-- the attempts holding their job's state by (org_id, job_status, their job's updated_at), so a
-- page of jobs reads its first rows of each state instead of sorting them all (listJobs). Like
-- 009, it builds the indexes inside the migration's transaction: on a large attempts table it
-- holds attempt writes back while it runs. Measured (2026-12-07, bench:history --engine=postgres,
-- 300,000 deliveries to one webhook, tables analyzed): the job history 555-599 -> 29-38 ms, the
-- webhook table with last deliveries 60-61 -> 2-4 ms.
DROP INDEX IF EXISTS attempts_webhook;
CREATE INDEX attempts_webhook ON attempts(webhook_id, org_id, started_at);
DROP INDEX IF EXISTS attempts_job_state;
CREATE INDEX attempts_job_state ON attempts(org_id, job_status, (started_at + duration_ms)) WHERE job_status IS NOT NULL;
