// SQLite's event log (src/store/sqlite/log-store.ts) where it differs from a jobs row per
// delivery: a reader started again after a crash delivers what was not recorded and nothing that
// was; a full webhook's backlog never stops the others' jobs; one event's many targets come out
// over many claims, each once; a second process takes the reader over; the cursor never passes a
// job whose record is still being written; a database from before the log keeps its history and
// delivers what it had queued.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { eventJobId } from '../src/domain/jobs.ts';
import { LEDGER_DDL, readMigrations } from '../src/store/migrations.ts';
import { LogBook, type LogJob } from '../src/store/log-book.ts';
import { SqliteLogStore } from '../src/store/sqlite/log-store.ts';
import { assertRedelivered, assertUpgradedQueue, crashMidway, item, success } from './helpers/event-log.ts';
import type { JobRow } from '../src/store/types.ts';

async function open(file: string): Promise<SqliteLogStore> {
  const store = new SqliteLogStore(file);
  await store.migrate();
  if (!(await store.findOrg('0'))) await store.createOrg({ id: 0, name: 'Primary', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
  return store;
}

const tmpFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-log-')), 'log.db');

const claim = (store: SqliteLogStore, owner: string, limit: number, exclude: string[] = [], now = Date.now()) =>
  store.claimWithEvents({ owner, now, leaseMs: 30_000, limit, excludeWebhookIds: exclude });

test('a reader started again after a crash delivers every job not recorded, and none that was', async () => {
  const file = tmpFile();
  const first = await open(file);
  const crash = await crashMidway(first);
  // No close: the process is gone with 30 jobs out and 40 never read.
  const second = await open(file);
  const again: JobRow[] = [];
  for (let round = 0; round < 10; round++) {
    const { jobs: got, events } = await claim(second, 'b', 16);
    if (!got.length) break;
    assert.ok(got.every((j) => events.some((e) => e.id === j.eventId)), 'each job comes with its event');
    again.push(...got);
    await second.completeAttempts(got.map((j) => success(j, 'b')));
  }
  assertRedelivered(crash, again);
  assert.deepEqual(await second.countByStatus(), { SUCCESS: 100 });
  await second.close();
  // Only now, the assertions made: its handles (the WAL's, for fsync) are not left to the GC,
  // which closes them with a deprecation warning (DEP0137) in the suite's output.
  await first.close();
});

test('the backlog of a full webhook does not hold back the jobs of others; it waits in the jobs table', async () => {
  const store = await open(tmpFile());
  // More than the reader keeps in memory (4,096) for the slow webhook, then a few for another.
  await store.publishEvents(Array.from({ length: 5000 }, () => item(['slow'])), 60_000);
  const fast = Array.from({ length: 10 }, () => item(['fast']));
  await store.publishEvents(fast, 60_000);
  const got: JobRow[] = [];
  // Its first 4,096 jobs fill the reader's memory, and while they wait less than 5 s the log
  // is not read further (a busy webhook's own backlog, delivered at its pace: no jobs rows).
  const start = Date.now();
  assert.deepEqual((await claim(store, 'w', 64, ['slow'], start)).jobs, []);
  assert.deepEqual((await claim(store, 'w', 64, ['slow'], start + 1000)).jobs, []);
  for (let round = 0; round < 5 && got.length < 10; round++) got.push(...(await claim(store, 'w', 64, ['slow'], start + 6000)).jobs);
  assert.deepEqual(got.map((j) => j.webhookId), Array(10).fill('fast'), 'after 5 s of waiting the slow webhook no longer holds the others back');
  await store.completeAttempts(got.map((j) => success(j, 'w')));
  const { total } = await store.searchJobs({ orgId: 0, webhookIds: ['slow'], statuses: ['PENDING'], offset: 0, limit: 1, order: 'ASC' });
  assert.equal(total, 5000, 'the slow webhook keeps all its jobs, PENDING');
  // Once it has room again, every one of its jobs comes out exactly once.
  const slow = new Set<string>();
  for (let round = 0; round < 200; round++) {
    const { jobs } = await claim(store, 'w', 256);
    if (!jobs.length) break;
    for (const j of jobs) {
      assert.ok(!slow.has(j.id), `job ${j.id} handed out twice`);
      slow.add(j.id);
    }
    await store.completeAttempts(jobs.map((j) => success(j, 'w')));
  }
  assert.equal(slow.size, 5000);
  assert.deepEqual(await store.countByStatus(), { SUCCESS: 5010 });
  const left = (store as unknown as { conn: { prepare(sql: string): { get(): { n: number } } } }).conn.prepare('SELECT COUNT(*) AS n FROM log').get().n;
  assert.ok(left < 4096, `the log's rows below the cursor are deleted as it moves (${left} left of 5,010)`);
  await store.close();
});

test("one event's many targets come out over many claims, each once, and a released job comes back", async () => {
  const store = await open(tmpFile());
  const hooks = Array.from({ length: 300 }, (_, i) => `h${i}`);
  const [{ eventId }] = await store.publishEvents([item(hooks)], 60_000);
  const first = (await claim(store, 'w', 64)).jobs;
  assert.equal(first.length, 64);
  await store.releaseLeases('w', [first[0].id]);
  const seen = new Map<string, number>();
  for (const j of first.slice(1)) seen.set(j.id, 1);
  for (let round = 0; round < 20; round++) {
    const { jobs } = await claim(store, 'w', 64);
    if (!jobs.length) break;
    for (const j of jobs) seen.set(j.id, (seen.get(j.id) ?? 0) + 1);
  }
  assert.equal(seen.size, 300);
  assert.ok([...seen.values()].every((n) => n === 1), 'no job handed out twice');
  assert.ok(seen.has(eventJobId(eventId, 0)), 'the released job came back');
  const leased = await store.searchJobs({ orgId: 0, eventIds: [eventId], offset: 0, limit: 1000, order: 'ASC' });
  assert.equal(leased.total, 300);
  assert.ok(leased.rows.every((j) => j.status === 'PENDING' && j.leaseOwner === 'w'), 'jobs out with a worker show its lease');
  await store.close();
});

test('a second process takes the log over; the first then hands out none of it until the lease lapses', async () => {
  const file = tmpFile();
  const one = await open(file);
  const two = await open(file);
  await one.publishEvents(Array.from({ length: 4 }, () => item(['w'])), 60_000);
  const a = (await claim(one, 'a', 2)).jobs;
  assert.equal(a.length, 2);
  await one.completeAttempts(a.map((j) => success(j, 'a')));
  // The second store's first claim takes the log over from the cursor.
  const b = (await claim(two, 'b', 10)).jobs;
  assert.deepEqual(b.map((j) => j.id).sort(), (await one.searchJobs({ orgId: 0, statuses: ['PENDING'], offset: 0, limit: 10, order: 'ASC' })).rows.map((j) => j.id).sort());
  assert.equal(b.length, 2);
  await one.publishEvents([item(['w'])], 60_000);
  // The first one's next claim finds the lease gone and reads no log.
  assert.deepEqual((await claim(one, 'a', 10)).jobs, [], 'the log has one reader');
  await two.completeAttempts(b.map((j) => success(j, 'b')));
  assert.equal((await claim(two, 'b', 10)).jobs.length, 1);
  // Past the lease, with the second one silent, the first takes it back.
  assert.equal((await claim(one, 'a', 10, [], Date.now() + 31_000)).jobs.length, 1, 'the job out with the silent reader, read again');
  await one.close();
  await two.close();
});

test('the cursor never passes a job whose record another transaction is still writing', () => {
  const book = new LogBook(0);
  const job = (seq: number, webhookId = 'w'): LogJob => ({ id: `e${seq}.0`, seq, eventId: `e${seq}`, eventType: 'kpi.alert', webhookId, orgId: 0, createdAt: 0 });
  for (const seq of [1, 2, 3]) book.hand(job(seq), 'o', Date.now() + 1000);
  book.readSeq = 3;
  const first = book.finish('e1.0', 'o')!;
  const second = book.finish('e2.0', 'o')!;
  assert.equal(book.finish('e2.0', 'o'), null, 'a job is recorded once');
  // The transaction recording job 1 may move the cursor past 1 only: job 2 is not written yet.
  assert.equal(book.advance(new Set([first])), 1);
  book.forget([first]);
  book.cursor = 1;
  // The record of job 2 failed: it is out again and still holds the cursor.
  book.unfinish(second);
  assert.equal(book.advance(new Set()), null);
  book.forget([book.finish('e2.0', 'o')!]);
  assert.equal(book.advance(new Set()), 2, 'job 3 still out');
  book.cursor = 2;
  // A job on its way to the jobs table (pinned) and a job waiting in memory hold it too.
  book.pin([3]);
  book.forget([book.finish('e3.0', 'o')!]);
  assert.equal(book.advance(new Set()), null, 'pinned 3 holds it at 2');
  book.readSeq = 4;
  book.wait(job(4, 'x'), 0);
  book.unpin([3]);
  assert.equal(book.advance(new Set()), 3, 'job 4 waits');
});

test('a database from before the log keeps its history, and its queued jobs rows are delivered after the upgrade', async () => {
  const file = tmpFile();
  // The schema as migrations 001-003 left it, with a delivered job, a queued one and a retry.
  const raw = new Database(file);
  raw.exec(LEDGER_DDL);
  for (const m of readMigrations(path.join(path.dirname(fileURLToPath(import.meta.url)), '../src/store/sqlite/migrations')).filter((m) => m.version < '004')) {
    raw.exec(m.sql);
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
  }
  const now = Date.now();
  raw.prepare("INSERT INTO orgs (id, name, description, status, visibility, created_at) VALUES (0, 'Primary', NULL, 'ACTIVE', 'SHOW', ?)").run(now);
  for (const id of ['e1', 'e2', 'e3']) {
    raw.prepare("INSERT INTO events (id, org_id, type, payload, attachments, created_at) VALUES (?, 0, 'kpi.alert', '{}', '[]', ?)").run(id, now);
  }
  const job = raw.prepare(`INSERT INTO jobs (id, kind, event_id, event_type, webhook_id, org_id, status, try_count, next_attempt_at, created_at, updated_at)
    VALUES (?, 'event', ?, 'kpi.alert', 'w', 0, ?, ?, ?, ?, ?)`);
  job.run('n.j1', 'e1', 'SUCCESS', 1, now, now, now);
  job.run('n.j2', 'e2', 'PENDING', 0, now, now, now);
  job.run('n.j3', 'e3', 'RETRY', 1, now - 1, now, now);
  const attempt = raw.prepare(`INSERT INTO attempts (id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, request_headers)
    VALUES (?, ?, ?, 'w', 0, 1, ?, 5, ?, ?, '{"a":"b"}')`);
  attempt.run('a1', 'n.j1', 'e1', now, 204, 1);
  attempt.run('a3', 'n.j3', 'e3', now, 500, 0);
  raw.close();

  const store = await open(file);
  await assertUpgradedQueue(store);
  await store.close();
});

test('a job its publish leased is never handed out again from the log, even after its lease ran out', () => {
  const book = new LogBook(0);
  const job: LogJob = { id: 'e1.0', seq: 1, eventId: 'e1', eventType: 'kpi.alert', webhookId: 'w', orgId: 0, createdAt: 0 };
  book.reserve(job, 'o', 100);
  book.expire(101);
  assert.deepEqual(book.takeWaiting(10, new Set(), 'o2', 1000).map((j) => j.id), ['e1.0'], 'its worker lost it: offered again');
  assert.equal(book.skipReserved('e1.0'), true, 'the reader, meeting it in the log, passes it by');
  assert.equal(book.skipReserved('e1.0'), false);
});

/**
 * What `read` runs on a fresh store: a plan(pattern) that answers SQLite's query plan of the first
 * statement whose SQL matches, with its parameters, as the store built it.
 */
async function plansOf(read: (store: SqliteLogStore) => Promise<unknown>): Promise<(re: RegExp) => string[]> {
  const file = tmpFile();
  const store = await open(file);
  const ran: { sql: string; params: unknown[] }[] = [];
  const db = (store as unknown as { db: Record<'get' | 'all' | 'rows', (sql: string, params: unknown[]) => Promise<unknown>> }).db;
  for (const m of ['get', 'all', 'rows'] as const) {
    const fn = db[m].bind(db);
    db[m] = (sql, params) => (ran.push({ sql, params }), fn(sql, params));
  }
  await read(store);
  await store.close();
  return (re) => {
    const r = ran.find((x) => re.test(x.sql));
    assert.ok(r, `ran ${re}`);
    const raw = new Database(file, { readonly: true });
    try {
      return (raw.prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...r.params) as { detail: string }[]).map((x) => x.detail);
    } finally {
      raw.close();
    }
  };
}

test("the dead-letter queue's read seeks to the failed jobs' attempts instead of reading every delivered one", async () => {
  const plan = (await plansOf(async (store) => assert.deepEqual((await store.searchJobs({ orgId: 0, statuses: ['FAILED'], offset: 0, limit: 20, order: 'DESC' })).rows, [])))(/ORDER BY updated_at/);
  // The attempts holding a job's state: by org and state (migration 006), not every one of the org.
  assert.ok(plan.some((d) => /SEARCH attempts USING INDEX attempts_job_state \(org_id=\? AND job_status=\?\)/.test(d)), plan.join('\n'));
});

test("a webhook's attempts are counted from the index alone, and each webhook's newest attempt is a seek, not a pass over the history", async () => {
  const plan = await plansOf(async (store) => {
    await store.searchAttempts({ orgId: 0, webhookId: 'w', offset: 0, limit: 20, countUpTo: 10_000 });
    await store.latestAttemptPerWebhook(0);
  });
  const count = plan(/COUNT\(\*\) AS n FROM \(SELECT 1 FROM attempts/);
  const latest = plan(/MAX\(m\.started_at\)/);
  // (webhook_id, org_id, started_at): migration 007.
  assert.ok(count.some((d) => /SEARCH attempts USING COVERING INDEX attempts_webhook \(webhook_id=\? AND org_id=\?\)/.test(d)), count.join('\n'));
  assert.ok(latest.some((d) => /SEARCH m USING COVERING INDEX attempts_webhook \(webhook_id=\? AND org_id=\?\)/.test(d)), latest.join('\n'));
  assert.ok(latest.some((d) => /SEARCH a USING INDEX attempts_webhook \(webhook_id=\? AND org_id=\? AND started_at=\?\)/.test(d)), latest.join('\n'));
  assert.ok(!latest.some((d) => /SCAN (a|m|attempts)\b/.test(d)), latest.join('\n'));
});

test('a page of the job history reads the first rows of each state in index order instead of sorting every job', async () => {
  const plan = (await plansOf((store) => store.listJobs({ orgId: 0, offset: 0, limit: 1000, order: 'DESC' })))(/ORDER BY updated_at/);
  // Each state's attempts (SUCCESS, FAILED) and jobs rows (four states) come in the page's order
  // from their index (attempts_job_state since migration 007, jobs_org_status): only ties on
  // updated_at are sorted (by id).
  const ordered = (re: RegExp) => plan.flatMap((d, i) => (re.test(d) ? [plan[i + 1]] : []));
  const attempts = ordered(/^SEARCH attempts USING INDEX attempts_job_state \(org_id=\? AND job_status=\?\)$/);
  const jobs = ordered(/^SEARCH jobs USING INDEX jobs_org_status \(org_id=\? AND status=\?\)$/);
  assert.equal(attempts.length, 2, plan.join('\n'));
  assert.equal(jobs.length, 4, plan.join('\n'));
  assert.ok([...attempts, ...jobs].every((d) => d === 'USE TEMP B-TREE FOR LAST TERM OF ORDER BY'), plan.join('\n'));
});

test("the job history of given jobs or events reads their attempts by id, not every attempt of the org's", async () => {
  const plan = await plansOf(async (store) => {
    await store.listJobs({ orgId: 0, jobIds: ['e1.0', 'e2.0'], offset: 0, limit: 1000, order: 'DESC' });
    await store.listJobs({ orgId: 0, eventIds: ['e1', 'e2'], offset: 0, limit: 1000, order: 'ASC' });
  });
  const byJob = plan(/job_id IN \(\?, \?\)/);
  const byEvent = plan(/job_id > \?/);
  assert.ok(byJob.some((d) => /^SEARCH attempts USING INDEX attempts_job \(job_id=\?\)$/.test(d)), byJob.join('\n'));
  assert.ok(byEvent.some((d) => /^SEARCH attempts USING INDEX attempts_job \(job_id>\? AND job_id<\?\)$/.test(d)), byEvent.join('\n'));
  for (const p of [byJob, byEvent]) {
    assert.ok(!p.some((d) => /attempts_job_state|SCAN attempts/.test(d)), p.join('\n'));
    assert.ok(p.some((d) => /^SEARCH jobs USING INDEX (sqlite_autoindex_jobs_1 \(id=\?\)|jobs_event \(event_id=\?\))$/.test(d)), p.join('\n'));
  }
});
