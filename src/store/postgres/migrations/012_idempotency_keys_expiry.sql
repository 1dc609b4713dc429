-- no transaction
-- 012: idempotency keys by expiry, as SQLite's 008 (retention deletes the expired ones a few
-- hundred at a time). Built as 010 builds its indexes (CONCURRENTLY, under a name of its own
-- first; safe to run again after a stop anywhere): publishes with keys go on meanwhile.
DROP INDEX CONCURRENTLY IF EXISTS idempotency_keys_expiry_012;
CREATE INDEX CONCURRENTLY idempotency_keys_expiry_012 ON idempotency_keys(expires_at);
DROP INDEX CONCURRENTLY IF EXISTS idempotency_keys_expiry;
ALTER INDEX idempotency_keys_expiry_012 RENAME TO idempotency_keys_expiry;
