-- 010: a fingerprint of the key that encrypts the secrets at rest (an HMAC of a constant, which
-- tells nothing of the key), written by the first process that starts with a key. A process with
-- another key refuses to start: it started, wrote a key file of its own (PostgreSQL, a second
-- data directory), and then every delivery with a secret threw at decryption and came back with
-- its lease, for ever, never reaching the dead-letter queue (operator audit, 2026-12-08).
CREATE TABLE key_check (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  fingerprint TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
