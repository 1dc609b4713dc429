-- 007: indexes for the delivery history's reads, which counted or sorted the whole history.
-- As many index entries as before, one per attempt (and one per attempt holding its job's state),
-- each a few bytes longer. Measured (2026-12-07, a copy of bench:history's database after 300,000
-- deliveries to one webhook; both indexes built in ~0.5 s each):
--
-- A webhook's attempts by (webhook_id, org_id, started_at) instead of (webhook_id, started_at).
-- Every read of them also names the org (a webhook is looked up within its org; the org in the
-- statement keeps one org's history from another's): with the org in the index, the count of a
-- webhook's attempts that the console's pages show reads the index alone (68-75 ms before, 14
-- after), and the newest attempt of each webhook is a seek (latestAttemptPerWebhook).
DROP INDEX IF EXISTS attempts_webhook;
CREATE INDEX attempts_webhook ON attempts(webhook_id, org_id, started_at);

-- The attempts holding their job's state by (org_id, job_status, their job's updated_at) instead
-- of (org_id, job_status): still a seek to one state (the dead-letter queue's FAILED jobs, 006),
-- and now in the history's order, so a page of jobs reads its first rows of each state instead of
-- sorting them all (SqlQueueStore.listJobs: the job history's read of 1,000, 446-459 ms before,
-- 5.7-7.7 after).
DROP INDEX IF EXISTS attempts_job_state;
CREATE INDEX attempts_job_state ON attempts(org_id, job_status, (started_at + duration_ms)) WHERE job_status IS NOT NULL;
