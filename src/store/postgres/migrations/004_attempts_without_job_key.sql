-- 004: attempts no longer reference jobs through a foreign key. No code path deletes a job (a
-- deleted webhook or org keeps its delivery history), so the key's cascade never ran and its check
-- guarded nothing the completion statement does not already ensure (it writes an attempt only for
-- a job it holds the lease of). It cost every attempt insert an index lookup and a KEY SHARE lock
-- on the very job row the same statement then updates. pg_stat_statements (2026-11-23, 50,000
-- deliveries, durable cluster, two runs each): completion 2,703-2,718 ms -> 2,353-2,363 ms, and
-- the key checks' own 197-253 ms gone: ~11 us of server time per delivery, of ~135.
-- (SQLite keeps its key: dropping one there rebuilds the table, and its check is a b-tree probe
-- in the same process.)
ALTER TABLE attempts DROP CONSTRAINT IF EXISTS attempts_job_id_fkey;
