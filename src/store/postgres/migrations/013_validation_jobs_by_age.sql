-- no transaction
-- 013: validation jobs by age, as SQLite's 009 (retention deletes them a few hundred at a time;
-- they have no event, so pruning by event never reached them). Built as 010 builds its indexes
-- (CONCURRENTLY, under a name of its own first; safe to run again after a stop anywhere).
DROP INDEX CONCURRENTLY IF EXISTS jobs_validation_age_013;
CREATE INDEX CONCURRENTLY jobs_validation_age_013 ON jobs(created_at) WHERE kind = 'validation';
DROP INDEX CONCURRENTLY IF EXISTS jobs_validation_age;
ALTER INDEX jobs_validation_age_013 RENAME TO jobs_validation_age;
