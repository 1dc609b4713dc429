// Which SQLite writes wait for the WAL to reach the disk. An accepted event must survive power
// loss before the API answers; claims and attempt records need not (a lost one leaves its job
// claimable or leased, so it is delivered again: at least once), and each fsync they skip is
// ~90 us of CPU here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { newJob } from '../src/domain/jobs.ts';
import { SqliteStore } from '../src/store/sqlite/index.ts';

test('SQLite: publishes wait for the WAL fsync; claims and attempt records are answered once committed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-durability-'));
  const store = new SqliteStore(path.join(dir, 'd.db'));
  await store.migrate();
  await store.createOrg({ id: 0, name: 'Primary', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });

  // Hold every fsync until released, counting them.
  const wal = (store as unknown as { wal: { sync(): Promise<void> } }).wal;
  const realSync = wal.sync.bind(wal);
  let held: (() => void)[] = [];
  let syncs = 0;
  wal.sync = () => {
    syncs++;
    return new Promise<void>((resolve) => held.push(resolve)).then(realSync);
  };
  const release = () => {
    const h = held;
    held = [];
    h.forEach((r) => r());
  };
  const settled = async <T>(p: Promise<T>): Promise<boolean> => {
    let done = false;
    void p.then(() => (done = true), () => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    return done;
  };

  const now = Date.now();
  const event = { id: 'n.e1', orgId: 0, type: 'kpi.alert', payload: '{}', name: null, runId: null, recipients: null, attachments: [], createdAt: now };
  const job = { id: 'j.1', kind: 'event' as const, eventId: event.id, eventType: 'kpi.alert', webhookId: 'w1', orgId: 0, status: 'PENDING' as const, tryCount: 0, budgetStart: 0, nextAttemptAt: now, leaseOwner: null, leaseUntil: null, detail: null, lastStatus: null, createdAt: now, updatedAt: now };
  const publish = store.publishEvents([{ event, attachments: [], jobs: [job] }], 60_000);
  assert.equal(await settled(publish), false, 'a publish must not be answered before its fsync');
  assert.equal(syncs, 1);
  release();
  await publish;

  const claim = store.claimWithEvents({ owner: 'o', now, leaseMs: 60_000, limit: 10, excludeWebhookIds: [] });
  assert.equal(await settled(claim), true, 'a claim is answered without an fsync');
  const { jobs } = await claim;
  assert.equal(jobs.length, 1);

  const complete = store.completeAttempts(jobs.map((j) => ({
    attempt: { id: 'a.1', jobId: j.id, eventId: j.eventId, webhookId: j.webhookId, orgId: 0, attemptNo: 1, startedAt: now, durationMs: 1, statusCode: 204, success: true, error: null, responseBody: '', requestHeaders: {} },
    owner: 'o',
    transition: { status: 'SUCCESS' as const, nextAttemptAt: null, detail: '' },
  })));
  assert.equal(await settled(complete), true, 'an attempt record is answered once committed, without an fsync');
  assert.deepEqual(await complete, [true]);
  assert.equal(syncs, 1, 'neither the claim nor the attempt record asked for an fsync');
  assert.equal((await store.findJob(0, 'j.1'))?.status, 'SUCCESS');

  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('SQLite group commit: transactions of one group commit together; one that throws fails alone, leaving nothing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-group-'));
  const store = new SqliteStore(path.join(dir, 'g.db'));
  await store.migrate();
  await store.createOrg({ id: 0, name: 'Primary', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
  const now = Date.now();
  const item = (e: string, j: string) => {
    const event = { id: e, orgId: 0, type: 'kpi.alert', payload: '{}', name: null, runId: null, recipients: null, attachments: [], createdAt: now };
    return { event, attachments: [], jobs: [{ ...newJob('event', event, 'w1', now), id: j }] };
  };
  await store.publishEvents([item('n.taken', 'j.taken')], 60_000);

  // Asked for in one turn of the event loop: one group. The third one's event is new but its job's
  // id is taken, so it fails after its event row was written.
  const conn = (store as unknown as { conn: { exec(sql: string): void } }).conn;
  const realExec = conn.exec.bind(conn);
  const begins: string[] = [];
  conn.exec = (sql: string) => (sql.startsWith('BEGIN') && begins.push(sql), realExec(sql));
  const results = await Promise.allSettled([
    store.publishEvents([item('n.a', 'j.a')], 60_000),
    store.publishEvents([item('n.b', 'j.b')], 60_000),
    store.publishEvents([item('n.bad', 'j.taken')], 60_000),
    store.publishEvents([item('n.c', 'j.c')], 60_000),
  ]);
  conn.exec = realExec;
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  for (const id of ['n.a', 'n.b', 'n.c']) assert.ok(await store.findEvent(0, id), `${id} kept`);
  assert.equal(await store.findEvent(0, 'n.bad'), null, 'the failed transaction left its event row behind');
  assert.equal((await store.findJob(0, 'j.taken'))?.eventId, 'n.taken');
  // Together once, then each on its own after the failure.
  assert.equal(begins.length, 1 + 4);

  // Without a failure a group is one transaction.
  begins.length = 0;
  conn.exec = (sql: string) => (sql.startsWith('BEGIN') && begins.push(sql), realExec(sql));
  await Promise.all([store.publishEvents([item('n.d', 'j.d')], 60_000), store.publishEvents([item('n.e', 'j.e')], 60_000)]);
  conn.exec = realExec;
  assert.equal(begins.length, 1);
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
