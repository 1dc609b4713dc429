-- 009: validation jobs by age, for retention (src/services/retention.ts). A channel validation is
-- recorded as a job with no event (event id validation-<webhook id>), so pruning by event never
-- reached it and every validation ever run was kept. Partial: only validation jobs are in it.
CREATE INDEX jobs_validation_age ON jobs(created_at) WHERE kind = 'validation';
