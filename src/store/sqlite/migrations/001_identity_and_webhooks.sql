-- 001: orgs, users, tokens, webhooks and channel preferences. Times are epoch milliseconds.
CREATE TABLE orgs (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT,
  status      TEXT NOT NULL DEFAULT 'ACTIVE',
  visibility  TEXT NOT NULL DEFAULT 'SHOW',
  created_at  INTEGER NOT NULL
);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  email         TEXT,
  password_hash TEXT NOT NULL,
  privileges    TEXT NOT NULL,            -- JSON array
  created_at    INTEGER NOT NULL,
  modified_at   INTEGER NOT NULL
);

CREATE TABLE user_orgs (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id  INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, org_id)
);
CREATE INDEX user_orgs_org ON user_orgs(org_id);

CREATE TABLE tokens (
  hash       TEXT PRIMARY KEY,            -- sha256 of the bearer token; the token itself is never stored
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  org_id     INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE webhooks (
  id                     TEXT PRIMARY KEY,
  org_id                 INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name                   TEXT NOT NULL,
  description            TEXT,
  url                    TEXT NOT NULL,
  url_params             TEXT,            -- JSON object
  events                 TEXT NOT NULL,   -- JSON array, in the order given
  authentication         TEXT,            -- JSON, secret leaves encrypted
  signature_verification TEXT,            -- JSON, secret encrypted
  storage_destination    TEXT,            -- JSON
  additional_headers     TEXT,            -- JSON array of {key, value}
  created_at             INTEGER NOT NULL,
  modified_at            INTEGER NOT NULL,
  created_by_id          TEXT,
  created_by_name        TEXT,
  modified_by_id         TEXT,
  modified_by_name       TEXT,
  UNIQUE (org_id, name)
);

-- One row per subscribed event type: the fan-out lookup and the one-Liveboard-webhook-per-org rule.
CREATE TABLE webhook_events (
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  org_id     INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  PRIMARY KEY (webhook_id, event_type)
);
CREATE INDEX webhook_events_lookup ON webhook_events(org_id, event_type);
CREATE UNIQUE INDEX webhook_events_one_liveboard ON webhook_events(org_id) WHERE event_type = 'LIVEBOARD_SCHEDULE';

CREATE TABLE cluster_channel_prefs (
  event_type TEXT PRIMARY KEY,
  channels   TEXT NOT NULL                -- JSON array
);

CREATE TABLE org_channel_prefs (
  org_id     INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  channels   TEXT NOT NULL,
  PRIMARY KEY (org_id, event_type)
);
