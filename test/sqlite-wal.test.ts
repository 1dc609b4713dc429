// The SQLite WAL under steady writes. The checkpoint thread copies the WAL back beside the writer
// but never ends caught up with it while it writes, and only a caught-up WAL starts over; the writer
// copies back what the thread left (wal-sync.ts, RESTART_PAGES), so the WAL stays short instead of
// growing until the writer has to checkpoint all of it itself at WAL_LIMIT_PAGES (23-67 ms each in
// a throughput bench, answering nothing meanwhile).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { newJob } from '../src/domain/jobs.ts';
import Database from 'better-sqlite3';
import { SqliteStore, WAL_FILE_LIMIT_BYTES } from '../src/store/sqlite/index.ts';
import { WAL_LIMIT_PAGES } from '../src/store/sqlite/wal-sync.ts';

test('SQLite: under steady publishes the WAL starts over long before the writer must checkpoint it all', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-wal-'));
  const store = new SqliteStore(path.join(dir, 'w.db'));
  try {
    await store.migrate();
    await store.createOrg({ id: 0, name: 'Primary', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
    const now = Date.now();
    const pad = 'x'.repeat(1000);
    let longest = 0;
    let restarts = 0;
    let last = 0;
    // ~60 MB of events and jobs, one batch after another: about four WALs' worth of the limit.
    for (let b = 0; b < 600; b++) {
      await store.publishEvents(
        Array.from({ length: 100 }, (_, i) => {
          const event = { id: `n.${b}-${i}`, orgId: 0, type: 'kpi.alert', payload: JSON.stringify({ i, pad }), name: null, runId: null, recipients: null, attachments: [], createdAt: now };
          return { event, attachments: [], jobs: [newJob('event', event, 'w1', now)] };
        }),
        60_000,
      );
      const [{ log }] = store.conn.pragma('wal_checkpoint(NOOP)') as { log: number }[];
      if (log < last) restarts++;
      last = log;
      longest = Math.max(longest, log);
    }
    assert.ok(longest < WAL_LIMIT_PAGES, `the WAL grew to ${longest} pages`);
    assert.ok(restarts >= 3, `the WAL started over ${restarts} times`);
    const [{ n }] = store.conn.prepare('SELECT COUNT(*) AS n FROM events').all() as { n: number }[];
    assert.equal(n, 60_000);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: a WAL grown past its limit behind a long read is cut back when it starts over', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-wal-'));
  const file = path.join(dir, 'w.db');
  const store = new SqliteStore(file);
  const reader = new Database(file, { readonly: true });
  try {
    await store.migrate();
    await store.createOrg({ id: 0, name: 'Primary', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
    const now = Date.now();
    const pad = 'x'.repeat(20_000);
    const publish = (b: number) =>
      store.publishEvents(
        Array.from({ length: 100 }, (_, i) => {
          const event = { id: `n.${b}-${i}`, orgId: 0, type: 'kpi.alert', payload: JSON.stringify({ i, pad }), name: null, runId: null, recipients: null, attachments: [], createdAt: now };
          return { event, attachments: [], jobs: [newJob('event', event, 'w1', now)] };
        }),
        60_000,
      );
    // A read that stays open: no checkpoint can let the WAL start over meanwhile.
    reader.exec('BEGIN');
    reader.prepare('SELECT COUNT(*) FROM orgs').get();
    for (let b = 0; b < 30; b++) await publish(b);
    const grown = fs.statSync(`${file}-wal`).size;
    assert.ok(grown > WAL_FILE_LIMIT_BYTES * 1.5, `the WAL grew to ${grown} bytes`);
    reader.exec('COMMIT');
    // Checkpointed whole, then the next writes start the WAL over and cut its file back.
    let size = grown;
    for (let b = 30; b < 60 && size > WAL_FILE_LIMIT_BYTES; b++) {
      store.conn.pragma('wal_checkpoint(PASSIVE)');
      await publish(b);
      size = fs.statSync(`${file}-wal`).size;
    }
    assert.ok(size <= WAL_FILE_LIMIT_BYTES, `the WAL file stayed at ${size} bytes`);
  } finally {
    reader.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
