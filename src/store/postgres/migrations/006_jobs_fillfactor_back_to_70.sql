-- 006: jobs pages back to 30% free, undoing 005. Half-empty pages did make claims cheaper
-- (server time per claimed job ~36 -> ~14 us over 50,000 deliveries), but the benchmark's
-- latency phase (1,000 single-event publishes/s, each its own durable commit) paid for it:
-- same code, alternating runs (2026-11-23), p99 153-215 ms in three runs with fillfactor 50,
-- 47-62 ms in three of four with 70 (the fourth 237 ms: this phase's p99 is noisy); the
-- throughput phase did not move beyond its noise (3,600-5,000 deliveries/s against 3,700-5,600). A migration of its own rather than 005 deleted: a database that applied 005
-- keeps its ledger entry, and 005 never names anything else.
-- Pages written under 005 keep their fill; new jobs get 70% again.
ALTER TABLE jobs SET (fillfactor = 70);
