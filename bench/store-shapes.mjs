#!/usr/bin/env node
// `node bench/store-shapes.mjs [--events=N] [--rounds=R]`
//
// What the SQL of one delivery costs on SQLite, apart from everything else (no threads, no HTTP):
// better-sqlite3 in this process, the WAL unsynced as on the storage thread (its checkpoints here
// SQLite's own, on the writer). Two shapes of the store, alternated R times, CPU per delivery of
// N events:
//   rows - the service's schema (its migrations) and statements: an event row and a job row per
//          publish (batches of 100), its claim of 64 jobs with their events read, then an attempt
//          row and a job update per delivery (one transaction a claim);
//   log  - an event log read by a per-webhook cursor: an event row per publish, a read of the next
//          64 events, then an outcome row per delivery and one cursor update per batch (no job
//          rows, no lease written; what a redesign of the hot path could write instead).
// A measurement for choosing a design, not a benchmark of the service; nothing is saved.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { option } from './common.mjs';
import { buildDist } from './service.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The service's ids, migrations and claim statement, from dist/ as the rest of the bench runs it.
buildDist();
const { newId } = await import('../dist/domain/ids.js');
const { readMigrations } = await import('../dist/store/migrations.js');
const { claimStatement } = await import('../dist/store/sql-queue.js');

const N = Number(option('events', 40_000));
const ROUNDS = Number(option('rounds', 3));
const BATCH = 64;
const PAYLOAD = JSON.stringify({ event: 'kpi.alert', data: { pad: 'x'.repeat(950) } });
const HEADERS = JSON.stringify({ 'content-type': 'application/json', 'user-agent': 'HookRelay/0.1.0', 'webhook-id': 'n.x', 'webhook-signature': 'v1,x' });
const NOW = Date.now();

/**
 * The statements of the service's rows (sql-queue.ts writes the same columns; the claim is its
 * own text, as SqliteStore.claimSql makes it).
 */
function rows(db) {
  for (const m of readMigrations(path.join(repo, 'src/store/sqlite/migrations'))) db.exec(m.sql);
  const insE = db.prepare('INSERT INTO events (id, org_id, type, payload, name, run_id, recipients, attachments, created_at) VALUES (?,?,?,?,?,?,?,?,?)');
  const insJ = db.prepare('INSERT INTO jobs (id, kind, event_id, event_type, webhook_id, org_id, status, try_count, budget_start, next_attempt_at, lease_owner, lease_until, detail, last_status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
  const claim = db.prepare(claimStatement('none', '', 'rowid')).raw();
  const events = db.prepare('SELECT id, org_id, type, CAST(payload AS BLOB), name, run_id, recipients, attachments, created_at FROM events WHERE id IN (SELECT value FROM json_each(?))').raw();
  const insA = db.prepare('INSERT INTO attempts (id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, error, response_body, request_headers) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)');
  const done = db.prepare(`UPDATE jobs SET status = ?, try_count = try_count + 1, next_attempt_at = COALESCE(?, next_attempt_at), detail = ?, last_status = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ?`);
  return {
    publish() {
      const e = newId();
      insE.run(e, 1, 'kpi.alert', PAYLOAD, null, null, null, '[]', NOW);
      insJ.run(newId(), 'event', e, 'kpi.alert', 'wh', 1, 'PENDING', 0, 0, NOW, null, null, null, null, NOW, NOW);
    },
    next() {
      // Job columns in JOB_COLUMNS order: id 0, event_id 2, webhook_id 4.
      const jobs = db.transaction(() => claim.all('w', NOW + 60_000, NOW + 1, NOW + 1, BATCH))();
      events.all(JSON.stringify(jobs.map((j) => j[2])));
      return jobs;
    },
    record(jobs) {
      for (const j of jobs) insA.run(newId(), j[0], j[2], j[4], 1, 1, NOW, 3, 204, 1, null, null, HEADERS);
      for (const j of jobs) done.run('SUCCESS', null, '', 204, NOW, j[0], 'w');
    },
  };
}

function log(db) {
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, org_id INTEGER NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE outcomes (seq INTEGER PRIMARY KEY, event_seq INTEGER NOT NULL, webhook_id TEXT NOT NULL, attempt_no INTEGER NOT NULL, started_at INTEGER NOT NULL,
      duration_ms INTEGER NOT NULL, status_code INTEGER, success INTEGER NOT NULL, error TEXT, response_body TEXT, request_headers TEXT NOT NULL);
    CREATE INDEX outcomes_webhook ON outcomes(webhook_id, started_at);
    CREATE TABLE cursors (webhook_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
    INSERT INTO cursors VALUES ('wh', 0);`);
  const insE = db.prepare('INSERT INTO events (id, org_id, type, payload, created_at) VALUES (?,?,?,?,?)');
  const read = db.prepare('SELECT seq, id, CAST(payload AS BLOB) FROM events WHERE seq > ? ORDER BY seq LIMIT ?').raw();
  const insO = db.prepare('INSERT INTO outcomes (event_seq, webhook_id, attempt_no, started_at, duration_ms, status_code, success, error, response_body, request_headers) VALUES (?,?,?,?,?,?,?,?,?,?)');
  const move = db.prepare('UPDATE cursors SET seq = ? WHERE webhook_id = ?');
  let seq = 0;
  return {
    publish: () => insE.run(newId(), 1, 'kpi.alert', PAYLOAD, NOW),
    next() {
      const batch = read.all(seq, BATCH);
      seq = batch[batch.length - 1][0];
      return batch;
    },
    record(batch) {
      for (const e of batch) insO.run(e[0], 'wh', 1, NOW, 3, 204, 1, null, null, HEADERS);
      move.run(seq, 'wh');
    },
  };
}

const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** N events published in transactions of 100, then claimed (or read) and recorded in batches: CPU µs of each step. */
function measure(db, shape) {
  const s = shape(db);
  const t = { publish: 0, read: 0, record: 0 };
  let c = cpu();
  for (let i = 0; i < N; i += 100) db.transaction(() => { for (let k = 0; k < 100; k++) s.publish(); })();
  t.publish = cpu() - c;
  for (let n = 0; n < N; ) {
    c = cpu();
    const batch = s.next();
    const c1 = cpu();
    db.transaction(() => s.record(batch))();
    t.read += c1 - c;
    t.record += cpu() - c1;
    n += batch.length;
  }
  return t;
}

for (let r = 1; r <= ROUNDS; r++) {
  for (const [name, shape] of [['rows', rows], ['log', log]]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-shape-'));
    const db = new Database(path.join(dir, 'shape.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -8000');
    db.pragma('foreign_keys = ON');
    try {
      const t = measure(db, shape);
      const f = (us) => (us / N).toFixed(1);
      console.log(`${name.padEnd(4)} round ${r}: ${f(t.publish + t.read + t.record)} us of CPU per delivery (publish ${f(t.publish)}, claim/read ${f(t.read)}, record ${f(t.record)})`);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
