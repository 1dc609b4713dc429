-- 003: the claim's due-jobs index also holds lease_until and webhook_id, so skipping leased jobs
-- and excluded webhooks reads the index alone. Bench (2026-11-22, SQLite, 100,000 jobs queued for
-- one webhook): with next_attempt_at alone every claim looked up each held job's row, 0.9 ms a claim.
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs(next_attempt_at, lease_until, webhook_id) WHERE status IN ('PENDING', 'RETRY');
