-- 008: idempotency keys by expiry, for retention (src/services/retention.ts) to delete the expired
-- ones a few hundred at a time without reading the whole table each round. Only keyed publishes
-- write it.
CREATE INDEX idempotency_keys_expiry ON idempotency_keys(expires_at);
