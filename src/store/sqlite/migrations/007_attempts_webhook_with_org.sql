-- 007: a webhook's attempts are indexed by (webhook_id, org_id, started_at) instead of
-- (webhook_id, started_at). Every read of them also names the org (a webhook is looked up within
-- its org first; the org in the statement keeps one org's history from another's): with the org
-- in the index the count of a webhook's attempts, which the console's pages show, reads the
-- index alone instead of each attempt's row, and the newest attempt of a webhook is one seek (see
-- latestAttemptPerWebhook). As many entries as before, one per attempt, each a few bytes longer.
-- Measured (2026-12-07, a copy of bench:history's database after 300,000 deliveries to one
-- webhook): the count 68-75 ms before, 14 after; the index built in 0.5 s.
DROP INDEX IF EXISTS attempts_webhook;
CREATE INDEX attempts_webhook ON attempts(webhook_id, org_id, started_at);
