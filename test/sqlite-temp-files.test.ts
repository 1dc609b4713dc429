// SQLite's temp files: the delivery path must not create any. A statement journal (the pages a
// statement or savepoint changed, kept so that it can roll back alone) spills to a temp file past
// 64 KB; the group commit runs without savepoints and writes rows one statement each, so none is
// kept (see SqliteDb.runInOne and sql-queue.ts's insertMany). SQLite reads its temp directory from SQLITE_TMPDIR once, when the
// library first opens a database in the process: set here, before any store is opened (node
// --test runs each file in a process of its own).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { newJob } from '../src/domain/jobs.ts';
import { SqliteStore } from '../src/store/sqlite/index.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-tempfiles-'));
const tmp = path.join(dir, 'tmp');
fs.mkdirSync(tmp);
process.env.SQLITE_TMPDIR = tmp;

test('SQLite: the delivery path writes no temp files (statement journals stay in memory)', async () => {
  // A temp file is created and unlinked at once: it is seen by watching the directory.
  const seen: string[] = [];
  const watcher = fs.watch(tmp, (_kind, name) => seen.push(String(name)));
  try {
    const store = new SqliteStore(path.join(dir, 't.db'));
    await store.migrate();
    await store.createOrg({ id: 0, name: 'Primary', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
    const now = Date.now();
    // Batches as the API publishes them: 100 events of ~1 KB.
    for (let b = 0; b < 3; b++) {
      const items = Array.from({ length: 100 }, (_, i) => {
        const event = { id: `n.e${b}-${i}`, orgId: 0, type: 'kpi.alert', payload: JSON.stringify({ i, pad: 'x'.repeat(1000) }), name: null, runId: null, recipients: null, attachments: [], createdAt: now };
        return { event, attachments: [], jobs: [newJob('event', event, 'w1', now)] };
      });
      await store.publishEvents(items, 60_000);
    }
    const { jobs } = await store.claimWithEvents({ owner: 'o', now, leaseMs: 60_000, limit: 300, excludeWebhookIds: [] });
    assert.equal(jobs.length, 300);
    const kept = await store.completeAttempts(jobs.map((j, i) => ({
      attempt: { id: `a.${i}`, jobId: j.id, eventId: j.eventId, webhookId: j.webhookId, orgId: 0, attemptNo: 1, startedAt: now, durationMs: 1, statusCode: 204, success: true, error: null, responseBody: '', requestHeaders: { 'content-type': 'application/json' } },
      owner: 'o',
      transition: { status: 'SUCCESS' as const, nextAttemptAt: null, detail: '' },
    })));
    assert.ok(kept.every(Boolean));
    await store.close();
    await new Promise((r) => setTimeout(r, 50)); // let the watcher's events arrive
    assert.deepEqual(seen, [], 'SQLite created temp files');
  } finally {
    watcher.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
