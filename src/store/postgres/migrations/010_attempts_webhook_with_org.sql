-- 010: a webhook's attempts are indexed by (webhook_id, org_id, started_at) instead of
-- (webhook_id, started_at), as SQLite's 007: every read of them also names the org, so the newest
-- attempt of a webhook is one seek (see latestAttemptPerWebhook) and a count of a webhook's
-- attempts can be answered from the index. Like 009, it builds the index inside the migration's
-- transaction: on a large attempts table it holds attempt writes back while it runs.
DROP INDEX IF EXISTS attempts_webhook;
CREATE INDEX attempts_webhook ON attempts(webhook_id, org_id, started_at);
