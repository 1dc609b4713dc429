// The storage thread's own contract, beyond the Store conformance suite (which runs over it too):
// unknown calls and calls after close fail cleanly, and an idle storage thread never keeps a
// process alive while a pending call always does.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openStore } from '../src/store/index.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-thread-'));

test('a call the store does not have is refused; calls after close are refused', async () => {
  const dir = tmp();
  const store = await openStore(path.join(dir, 'x.db'), { sqliteThread: true });
  await store.migrate();
  await assert.rejects((store as unknown as { nope(): Promise<void> }).nope(), /no method nope/);
  await store.ping();
  await store.close();
  await assert.rejects(store.ping(), /closed/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a value that cannot cross between the threads fails its call instead of leaving it unanswered', async () => {
  const dir = tmp();
  const file = path.join(dir, 'x.db');
  const store = await openStore(file, { sqliteThread: true });
  await store.migrate();
  const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
  // A row nested deeper than structured clone's stack, written behind the store's back.
  const raw = new Database(file);
  raw.prepare(`INSERT INTO orgs (id, name, created_at) VALUES (0, 'Primary', 0)`).run();
  raw.prepare(`INSERT INTO webhooks (id, org_id, name, url, events, storage_destination, created_at, modified_at) VALUES ('w-deep', 0, 'deep', 'https://example.com', '[]', ?, 0, 0)`).run(deep(20_000));
  raw.close();
  await assert.rejects(store.findWebhook(0, 'w-deep'), /could not be sent/);
  // Arguments that cannot cross: refused at once on this side.
  let arg: Record<string, unknown> = {};
  for (let i = 0; i < 20_000; i++) arg = { a: arg };
  await assert.rejects((store as unknown as { findOrg(x: unknown): Promise<unknown> }).findOrg(arg));
  await store.ping();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a process with an open but idle threaded store exits on its own; a pending call keeps it alive until answered', () => {
  const dir = tmp();
  const script = `
    import { openStore } from ${JSON.stringify(path.resolve('src/store/index.ts'))};
    const store = await openStore(${JSON.stringify(path.join(dir, 'y.db'))}, { sqliteThread: true });
    // Nothing else holds the event loop: the answer must still arrive.
    store.migrate().then((applied) => console.log('applied', applied.length));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.signal, null, `the process must exit on its own (stderr: ${r.stderr})`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /applied [1-9]/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('batches of every size reuse a bounded set of SQLite statements', async () => {
  // Each statement text is a prepared statement whose native memory lives until the heap that
  // holds it is collected; a text per batch size made the storage thread grow with every delivery.
  const dir = tmp();
  const store = await openStore(path.join(dir, 'z.db'));
  await store.migrate();
  await store.createOrg({ id: 0, name: 'Primary', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
  // Count the statements SQLite is asked to prepare while batches of 1 to 120 rows go through.
  const conn = (store as unknown as { conn: { prepare: (sql: string) => unknown } }).conn;
  const prepare = conn.prepare.bind(conn);
  let prepared = 0;
  conn.prepare = (sql: string) => (prepared++, prepare(sql));
  const now = Date.now();
  let seq = 0;
  for (let size = 1; size <= 120; size++) {
    const items = Array.from({ length: size }, () => {
      const id = `n.t${++seq}`;
      const event = { id, orgId: 0, type: 'kpi.alert', payload: '{}', name: null, runId: null, recipients: null, attachments: [], createdAt: now };
      const job = { id: `j.${seq}`, kind: 'event' as const, eventId: id, eventType: 'kpi.alert', webhookId: `w${size % 7}`, orgId: 0, status: 'PENDING' as const, tryCount: 0, budgetStart: 0, nextAttemptAt: now, leaseOwner: null, leaseUntil: null, detail: null, lastStatus: null, createdAt: now, updatedAt: now };
      return { event, attachments: [], jobs: [job] };
    });
    await store.publishEvents(items, 60_000);
    const { jobs, events } = await store.claimWithEvents({ owner: 'o', now, leaseMs: 60_000, limit: size, excludeWebhookIds: Array.from({ length: size % 5 }, (_, i) => `x${i}`) });
    assert.equal(events.length, jobs.length);
    const kept = await store.completeAttempts(jobs.map((j) => ({
      attempt: { id: `a.${j.id}`, jobId: j.id, eventId: j.eventId, webhookId: j.webhookId, orgId: 0, attemptNo: 1, startedAt: now, durationMs: 1, statusCode: 204, success: true, error: null, responseBody: '', requestHeaders: {} },
      owner: 'o',
      transition: { status: 'SUCCESS' as const, nextAttemptAt: null, detail: '' },
    })));
    assert.ok(kept.every(Boolean));
  }
  // 33 when written; with a statement text per batch size (before 819e82f) it was 607.
  assert.ok(prepared <= 60, `${prepared} statements prepared for batches of 1 to 120 rows`);
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('checkpoints copy the WAL back while the store keeps writing; data survive and close leaves no WAL behind', async () => {
  const dir = tmp();
  const file = path.join(dir, 'w.db');
  const store = await openStore(file, { sqliteThread: false });
  await store.migrate();
  const pad = 'x'.repeat(1000);
  const ids: string[] = [];
  // ~15 MB of events in 150 commits: past the checkpoint threshold (1,000 pages) several times.
  for (let b = 0; b < 150; b++) {
    const items = Array.from({ length: 100 }, (_, i) => {
      const id = `n.${crypto.randomUUID()}`;
      ids.push(id);
      return { event: { id, orgId: 0, type: 'kpi.alert', payload: JSON.stringify({ b, i, pad }), name: null, runId: null, recipients: null, attachments: [], createdAt: Date.now() }, attachments: [], jobs: [] };
    });
    await store.publishEvents(items, 60_000);
  }
  const probe = new Database(file);
  try {
    const deadline = Date.now() + 10_000;
    let state = { log: 0, checkpointed: 0 };
    while (Date.now() < deadline) {
      [state] = probe.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[];
      if (state.checkpointed > 0 || state.log < 1000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Or the WAL started over after a complete checkpoint (the writer copies back what the
    // checkpoint thread left, wal-sync.ts): then what was written since may not have been looked
    // at yet, but the header's checkpoint sequence number (bytes 12-15) counts the restarts.
    const header = Buffer.alloc(16);
    const fd = fs.openSync(`${file}-wal`, 'r');
    fs.readSync(fd, header, 0, 16, 0);
    fs.closeSync(fd);
    const restarts = header.readUInt32BE(12);
    assert.ok(state.checkpointed > 0 || state.log < 1000 || restarts > 0, `the WAL was checkpointed (log ${state.log}, checkpointed ${state.checkpointed}, restarts ${restarts})`);
  } finally {
    probe.close();
  }
  await store.close();
  assert.equal(fs.existsSync(`${file}-wal`), false, 'the last connection to close checkpointed and removed the WAL');
  const again = await openStore(file, { sqliteThread: false });
  assert.equal((await again.findEvents(0, ids)).length, ids.length, 'every committed event is in the database');
  await again.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
