-- 002: events, delivery jobs, attempts, attachments and idempotency keys.
-- Job states: PENDING (first attempt due) -> RETRY (a later attempt scheduled) -> SUCCESS | FAILED.
-- A claimed job keeps its status and carries a lease (lease_owner, lease_until); an expired lease
-- makes it claimable again, which is how a crashed worker's jobs come back.
CREATE TABLE events (
  id          TEXT PRIMARY KEY,
  org_id      INTEGER NOT NULL,
  type        TEXT NOT NULL,
  payload     TEXT NOT NULL,              -- the JSON body exactly as delivered
  name        TEXT,
  run_id      TEXT,
  recipients  TEXT,                       -- JSON array
  attachments TEXT,                       -- JSON array of {id, file_name, content_type, size}
  created_at  INTEGER NOT NULL
);
CREATE INDEX events_org_created ON events(org_id, created_at);

CREATE TABLE attachments (
  id           TEXT PRIMARY KEY,
  event_id     TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  file_name    TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  data         BLOB NOT NULL
);
CREATE INDEX attachments_event ON attachments(event_id);

CREATE TABLE idempotency_keys (
  org_id     INTEGER NOT NULL,
  key        TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, key)
);

CREATE TABLE jobs (
  id              TEXT PRIMARY KEY,
  kind            TEXT NOT NULL,          -- event | test | validation
  event_id        TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  webhook_id      TEXT NOT NULL,
  org_id          INTEGER NOT NULL,
  status          TEXT NOT NULL,
  try_count       INTEGER NOT NULL DEFAULT 0,
  budget_start    INTEGER NOT NULL DEFAULT 0, -- try_count when the job was last (re)queued by a replay
  next_attempt_at INTEGER NOT NULL,
  lease_owner     TEXT,
  lease_until     INTEGER,
  detail          TEXT,
  last_status     INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs(next_attempt_at) WHERE status IN ('PENDING', 'RETRY');
CREATE INDEX jobs_org_status ON jobs(org_id, status, updated_at);
CREATE INDEX jobs_webhook ON jobs(webhook_id, created_at);
CREATE INDEX jobs_event ON jobs(event_id);

CREATE TABLE attempts (
  id              TEXT PRIMARY KEY,
  job_id          TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  event_id        TEXT NOT NULL,
  webhook_id      TEXT NOT NULL,
  org_id          INTEGER NOT NULL,
  attempt_no      INTEGER NOT NULL,
  started_at      INTEGER NOT NULL,
  duration_ms     INTEGER NOT NULL,
  status_code     INTEGER,
  success         INTEGER NOT NULL,       -- 1 or 0
  error           TEXT,
  response_body   TEXT,
  request_headers TEXT NOT NULL           -- JSON object, secrets masked
);
CREATE INDEX attempts_webhook ON attempts(webhook_id, started_at);
CREATE INDEX attempts_job ON attempts(job_id);
