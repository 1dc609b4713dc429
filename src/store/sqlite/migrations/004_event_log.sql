-- 004: the event log (docs/event-log.md). A publish writes each event once with the webhooks it
-- targets (log); first attempts are read from there in order, and an attempt row carries the state
-- of its job when no jobs row does. The jobs table keeps only the jobs that leave the log's order:
-- retries, replays, held-back jobs of a slow webhook, test sends, validations and resends.
-- Bench (2026-12-04/05, bench/log-shape.mjs, SQLite throughput phase, ratio to the limit): job
-- rows written three times per delivery (insert, lease, completion) plus an attempt row were
-- 0.329-0.360 x; events once plus one outcome row per attempt 0.405-0.408 x.

-- One row per published event that has targets. seq orders the log (AUTOINCREMENT: a seq is never
-- handed out twice, even after the newest row is gone, so a read position can never skip one).
CREATE TABLE log (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  org_id     INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  targets    TEXT NOT NULL             -- JSON array of webhook ids (null: a job kept as a jobs row); job i is `${event_id}.${i}`
);

-- The log's reader: every seq at or below `seq` is done (each of its jobs has an attempt row
-- holding its state, or a jobs row). One process reads at a time: `owner` holds it until
-- `lease_until`, renewed while it works, taken over when it lapses.
CREATE TABLE log_cursor (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  seq         INTEGER NOT NULL,
  owner       TEXT,
  lease_until INTEGER
);
INSERT INTO log_cursor (id, seq) VALUES (1, 0);

-- attempts again, without its foreign key to jobs (a log job has no jobs row) and without a
-- primary key index on its random id (nothing looks an attempt up by id), and with the state of
-- its job when the job has no jobs row: job_status (SUCCESS or FAILED, NULL otherwise), kind,
-- event type, detail and the job's creation time.
CREATE TABLE attempts_new (
  id              TEXT NOT NULL,
  job_id          TEXT NOT NULL,
  event_id        TEXT NOT NULL,
  webhook_id      TEXT NOT NULL,
  org_id          INTEGER NOT NULL,
  attempt_no      INTEGER NOT NULL,
  started_at      INTEGER NOT NULL,
  duration_ms     INTEGER NOT NULL,
  status_code     INTEGER,
  success         INTEGER NOT NULL,
  error           TEXT,
  response_body   TEXT,
  request_headers TEXT NOT NULL,
  job_status      TEXT,
  job_kind        TEXT,
  event_type      TEXT,
  detail          TEXT,
  job_created_at  INTEGER
);
INSERT INTO attempts_new (id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, error, response_body, request_headers)
  SELECT id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, error, response_body, request_headers FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_new RENAME TO attempts;
CREATE INDEX attempts_webhook ON attempts(webhook_id, started_at);
CREATE INDEX attempts_job ON attempts(job_id);
-- The delivery history's jobs whose state is their attempt (see SqliteLogStore.searchJobs).
CREATE INDEX attempts_job_state ON attempts(org_id, started_at) WHERE job_status IS NOT NULL;
