// PostgreSQL's event log (src/store/postgres/log-store.ts) where it differs from SQLite's: the
// lanes shared out among processes, taken over at once from a process that dies, and the order
// lock that keeps a lane's seqs committing in their order, and the upgrade of a database from before
// the log. (Its verbs are the conformance suite's.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { LEDGER_DDL, readMigrations } from '../src/store/migrations.ts';
import { MIGRATION_LOCK } from '../src/store/postgres/index.ts';
import { LANES, PgLogStore, laneOf } from '../src/store/postgres/log-store.ts';
import { LOG_ORDER_LOCK } from '../src/store/sql-queue.ts';
import type { JobRow } from '../src/store/types.ts';
import { createTestDatabase, engines, scanCounts, type TestDatabase } from './helpers/databases.ts';
import { assertRedelivered, assertUpgradedQueue, crashMidway, item, success } from './helpers/event-log.ts';

const claim = (store: PgLogStore, owner: string, limit: number, now = Date.now()) =>
  store.claimWithEvents({ owner, now, leaseMs: 30_000, limit, excludeWebhookIds: [] });

/** Webhook ids, one in each lane. */
function oneWebhookPerLane(): string[] {
  const byLane = new Map<number, string>();
  for (let i = 0; byLane.size < LANES; i++) if (!byLane.has(laneOf(`w${i}`))) byLane.set(laneOf(`w${i}`), `w${i}`);
  return [...byLane.values()];
}

/** Claims and records until a claim comes back empty; the jobs handed out. */
async function drain(store: PgLogStore, owner: string, now = Date.now()): Promise<JobRow[]> {
  const out: JobRow[] = [];
  for (let round = 0; round < 50; round++) {
    const { jobs } = await claim(store, owner, 64, now);
    if (!jobs.length) break;
    out.push(...jobs);
    await store.completeAttempts(jobs.map((j) => success(j, owner)));
  }
  return out;
}

describe('PostgreSQL event log', { skip: !engines.includes('postgres') && 'postgres is not in HOOKRELAY_TEST_ENGINES' }, () => {
  let db: TestDatabase;
  let probe: pg.Client;
  const stores: PgLogStore[] = [];

  async function open(): Promise<PgLogStore> {
    const store = new PgLogStore(db.url, 4);
    stores.push(store);
    await store.migrate();
    if (!(await store.findOrg('0'))) await store.createOrg({ id: 0, name: 'Primary', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
    return store;
  }
  const owners = async () => (await probe.query('SELECT owner FROM log_cursor ORDER BY lane')).rows.map((r) => r.owner as string | null);
  /** How many lanes each reader holds; every lane must be held. */
  const lanesPerReader = async () => {
    const held = await owners();
    assert.ok(held.every((o) => o !== null), 'every lane held');
    return [...new Set(held)].map((o) => held.filter((x) => x === o).length);
  };
  /** No log and no reader, as a fresh database: each test starts from there. */
  const reset = () => probe.query('DELETE FROM log; UPDATE log_cursor SET owner = NULL');
  /** Two processes' stores on a fresh log, and a time to claim at. */
  const twoReaders = async (): Promise<[PgLogStore, PgLogStore, number]> => {
    await reset();
    return [await open(), await open(), Date.now()];
  };

  before(async () => {
    db = await createTestDatabase('postgres');
    probe = new pg.Client({ connectionString: db.url });
    await probe.connect();
    await (await open()).close();
  });

  after(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    await probe.end();
    await db.drop();
  });

  test('two processes share the lanes out; each hands out only its own lanes\' jobs, every job once', async () => {
    const [a, b, t] = await twoReaders();
    // The first to look takes every lane; the second, finding none free, waits for its share.
    await claim(a, 'a', 1, t);
    await claim(b, 'b', 1, t);
    assert.equal(new Set(await owners()).size, 1, 'one reader holds all 16 lanes');
    // At its next look the first sees two readers and frees half (it has nothing out); the second takes them.
    await claim(a, 'a', 1, t + 1001);
    await claim(b, 'b', 1, t + 1001);
    assert.deepEqual(await lanesPerReader(), [8, 8], 'half each');

    const hooks = oneWebhookPerLane();
    const items = Array.from({ length: 20 }, () => item(hooks));
    await a.publishEvents(items, 60_000);
    const [fromA, fromB] = await Promise.all([drain(a, 'a', t + 1500), drain(b, 'b', t + 1500)]);
    const ids = [...fromA, ...fromB].map((j) => j.id);
    assert.equal(ids.length, 20 * LANES, 'every job handed out');
    assert.equal(new Set(ids).size, ids.length, 'none twice');
    const laneOwner = await owners();
    const readerOf = (j: JobRow) => laneOwner[laneOf(j.webhookId)];
    assert.equal(new Set(fromA.map(readerOf)).size, 1);
    assert.equal(new Set(fromB.map(readerOf)).size, 1);
    assert.notEqual(readerOf(fromA[0]), readerOf(fromB[0]), 'each from its own lanes');
    assert.deepEqual(await a.countByStatus(), { SUCCESS: 20 * LANES });
    await a.close();
    await b.close();
  });

  test('a lane given up to a newcomer waits for the jobs out from it; then each reads its own, none twice', async () => {
    const [a, b, t] = await twoReaders();
    const hooks = oneWebhookPerLane();
    const first = Array.from({ length: 5 }, () => item(hooks));
    await a.publishEvents(first, 60_000);
    // The first holds all 16 lanes and has every job out.
    const out = (await claim(a, 'a', 5 * LANES, t)).jobs;
    assert.equal(out.length, 5 * LANES);
    await claim(b, 'b', 1, t);
    // At its next look it sees a second reader and gives 8 lanes up, but keeps them while their jobs are out.
    assert.deepEqual((await claim(a, 'a', 1, t + 1001)).jobs, []);
    assert.equal(new Set(await owners()).size, 1, 'no lane freed with jobs out');
    assert.deepEqual((await claim(b, 'b', 100, t + 1001)).jobs, [], 'the newcomer reads nothing yet');
    await a.completeAttempts(out.map((j) => success(j, 'a')));
    // Recorded: at the next looks the first frees them and the second takes them.
    await claim(a, 'a', 1, t + 2002);
    await claim(b, 'b', 1, t + 2002);
    assert.deepEqual(await lanesPerReader(), [8, 8], 'half each');
    const second = Array.from({ length: 5 }, () => item(hooks));
    await a.publishEvents(second, 60_000);
    const [fromA, fromB] = await Promise.all([drain(a, 'a', t + 2500), drain(b, 'b', t + 2500)]);
    assert.equal(fromA.length, 5 * 8);
    assert.equal(fromB.length, 5 * 8);
    const ids = [...out, ...fromA, ...fromB].map((j) => j.id);
    assert.equal(new Set(ids).size, 10 * LANES, 'every job, none twice');
    await a.close();
    await b.close();
  });

  test('a process that dies frees its lanes at once: the other delivers every job not recorded, and none that was', async () => {
    await reset();
    const first = await open();
    const crash = await crashMidway(first);
    // Gone with 30 jobs out and 40 never read: its lane connection closes, and its locks with it.
    await first.close();
    const second = await open();
    const again = await drain(second, 'b');
    assertRedelivered(crash, again);
    const counts = await second.countByStatus();
    assert.deepEqual(Object.keys(counts), ['SUCCESS'], 'nothing pending');
    await second.close();
  });

  test('a lane taken over on a backlog looks up which of its jobs were recorded by key, whatever was planned while attempts was small', async () => {
    await reset();
    // A backlog in one lane, then a new reader: every row it reads up to the backlog's end may have
    // been recorded by an earlier reader, and it checks them against attempts and jobs.
    const publisher = await open();
    await publisher.publishEvents(Array.from({ length: 300 }, () => item(['w-plan'])), 60_000);
    await publisher.close();
    const reader = await open();
    /** n claims of 10 jobs by the reader, each recorded. */
    const claimAndRecord = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const { jobs } = await claim(reader, 'r', 10);
        assert.equal(jobs.length, 10);
        await reader.completeAttempts(jobs.map((j) => success(j, 'r')));
      }
    };
    try {
      // Ten checks while attempts is small: past the five custom plans after which PostgreSQL may
      // keep a generic one for a prepared statement.
      await claimAndRecord(10);
      // A long history arrives before autovacuum comes by (it would take a minute).
      await probe.query(`INSERT INTO attempts (id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, request_headers, job_status)
        SELECT 'h' || g, 'n.h' || g || '.0', 'n.h' || g, 'w-old', 0, 1, 0, 1, 204, 1, '{}', 'SUCCESS' FROM generate_series(1, 20000) AS g`);
      const before = (await scanCounts(probe, ['attempts'])).attempts;
      await claimAndRecord(5);
      const after = (await scanCounts(probe, ['attempts'])).attempts;
      assert.equal(after.seq - before.seq, 0, 'whole-table reads of attempts');
      assert.ok(after.idx > before.idx, 'the checks went by the job_id index');
    } finally {
      // Its lanes freed for the next tests whatever happened here.
      await reader.close();
    }
  });

  test("the delivery history's reads seek through the attempts' indexes on a long, analyzed history", async () => {
    const fresh = await createTestDatabase('postgres');
    const store = new PgLogStore(fresh.url, 2);
    try {
      await store.migrate();
      const q = (sql: string, params: unknown[] = []) => store.pool.query(sql, params);
      await q("INSERT INTO orgs (id, name, created_at) VALUES (0, 'Primary', 0)");
      await q("INSERT INTO webhooks (id, org_id, name, url, events, created_at, modified_at) VALUES ('w-h', 0, 'h', 'https://example.com', '[]', 0, 0)");
      // 30,000 first attempts holding their job's state, one in 1,000 FAILED.
      await q(`INSERT INTO attempts (id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, request_headers,
          job_status, job_kind, event_type, detail, job_created_at)
        SELECT 'a' || g, 'n.e' || g || '.0', 'n.e' || g, 'w-h', 0, 1, 1700000000000 + g, 3, 204, 1, '{}',
          CASE WHEN g % 1000 = 0 THEN 'FAILED' ELSE 'SUCCESS' END, 'event', 'kpi.alert', '', 1700000000000 + g
        FROM generate_series(1, 30000) AS g`);
      // The log as a running service keeps it: the last 2,000 of those events' rows delivered (at or
      // below their lane's cursor) and not trimmed yet, and two events still waiting above it.
      await q(`INSERT INTO log (lane, seq, event_id, org_id, event_type, created_at, targets)
        SELECT g % 16, g, 'n.e' || (28000 + g), 0, 'kpi.alert', 1700000028000 + g, '["w-h"]' FROM generate_series(1, 2000) AS g`);
      await q('UPDATE log_cursor SET seq = 2000');
      await q(`INSERT INTO log (lane, seq, event_id, org_id, event_type, created_at, targets)
        VALUES (3, 2001, 'n.w1', 0, 'kpi.alert', 1700000040000, '["w-h"]'), (5, 2002, 'n.w2', 0, 'kpi.alert', 1700000040001, '[null, "w-h"]')`);
      await q('ANALYZE');
      const { attempts: before, log: logBefore } = await scanCounts(store.pool, ['attempts', 'log']);
      const page = await store.listJobs({ orgId: 0, offset: 0, limit: 100, order: 'DESC' });
      assert.deepEqual(page.slice(0, 4).map((j) => j.id), ['n.w2.1', 'n.w1.0', 'n.e30000.0', 'n.e29999.0'], 'the waiting jobs (newest), then the attempted');
      assert.deepEqual((await store.listJobs({ orgId: 0, statuses: ['PENDING'], offset: 0, limit: 10, order: 'ASC' })).map((j) => j.id), ['n.w1.0', 'n.w2.1']);
      assert.equal((await store.listJobs({ orgId: 0, statuses: ['FAILED'], offset: 0, limit: 50, order: 'DESC' }))[0].id, 'n.e30000.0');
      assert.deepEqual((await store.listJobs({ orgId: 0, jobIds: ['n.e17.0'], offset: 0, limit: 10, order: 'ASC' })).map((j) => j.id), ['n.e17.0']);
      assert.deepEqual((await store.listJobs({ orgId: 0, eventIds: ['n.e1', 'n.e12'], offset: 0, limit: 10, order: 'ASC' })).map((j) => j.id), ['n.e1.0', 'n.e12.0']);
      assert.deepEqual((await store.latestAttemptPerWebhook(0)).map((a) => a.id), ['a30000']);
      const { attempts: after, log: logAfter } = await scanCounts(store.pool, ['attempts', 'log']);
      assert.equal(after.seq - before.seq, 0, 'whole-table reads of attempts');
      assert.ok(after.idx > before.idx);
      // The waiting jobs are read per lane above its cursor, not by reading the whole log.
      assert.equal(logAfter.seq - logBefore.seq, 0, 'whole-table reads of the log');
      // Their plan's estimate is large (100 rows per targets array, per lane), which must not
      // make the server JIT-compile it: the store's connections have JIT off.
      assert.equal((await q("SELECT current_setting('jit') AS jit")).rows[0].jit, 'off');
    } finally {
      await store.close();
      await fresh.drop();
    }
  });

  test('a process waiting to migrate says so and holds no snapshot, so an index built concurrently by the migrating one is not held up by it', async () => {
    const fresh = await createTestDatabase('postgres');
    const first = new PgLogStore(fresh.url, 2);
    const other = new pg.Client({ connectionString: fresh.url });
    const waiting = new PgLogStore(fresh.url, 2);
    try {
      await first.migrate();
      // 010 to do again (it is safe to run again), by a process that finds the lock taken.
      await first.pool.query("DELETE FROM schema_migrations WHERE version = '010'");
      await other.connect();
      await other.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const notices: string[] = [];
      const migrated = waiting.migrate({ onWaiting: (m) => notices.push(m), noticeEveryMs: 100 });
      await new Promise((r) => setTimeout(r, 300));
      // The wait is told, with the backend holding the lock.
      const holder = (await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      assert.ok(notices.length >= 1, 'a notice while waiting');
      assert.match(notices[0], new RegExp(`^waiting \\d+ s for the migrations another process is running \\(PostgreSQL backend pid ${holder}\\)`));
      // What a migration built outside a transaction does while the other waits: PostgreSQL's
      // CREATE INDEX CONCURRENTLY waits for every snapshot older than its own to end.
      await other.query("SET statement_timeout = '20s'");
      await other.query('CREATE INDEX CONCURRENTLY attempts_probe ON attempts(event_id)');
      await other.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      assert.deepEqual(await migrated, ['010_history_read_indexes']);
    } finally {
      await other.end().catch(() => undefined);
      await waiting.close();
      await first.close();
      await fresh.drop();
    }
  });

  test('a database from before the log keeps its history, and its queued jobs rows are delivered after the upgrade', async () => {
    const old = await createTestDatabase('postgres');
    const raw = new pg.Client({ connectionString: old.url });
    await raw.connect();
    try {
      // The schema as migrations 001-006 left it, with a delivered job, a queued one and a retry.
      await raw.query(LEDGER_DDL);
      const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../src/store/postgres/migrations');
      for (const m of readMigrations(dir).filter((x) => x.version < '007')) {
        await raw.query(m.sql);
        await raw.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
      const now = Date.now();
      await raw.query("INSERT INTO orgs (id, name, description, status, visibility, created_at) VALUES (0, 'Primary', NULL, 'ACTIVE', 'SHOW', $1)", [now]);
      for (const id of ['e1', 'e2', 'e3']) await raw.query("INSERT INTO events (id, org_id, type, payload, attachments, created_at) VALUES ($1, 0, 'kpi.alert', '{}', '[]', $2)", [id, now]);
      const job = `INSERT INTO jobs (id, kind, event_id, event_type, webhook_id, org_id, status, try_count, next_attempt_at, created_at, updated_at)
        VALUES ($1, 'event', $2, 'kpi.alert', 'w', 0, $3, $4, $5, $6, $6)`;
      await raw.query(job, ['n.j1', 'e1', 'SUCCESS', 1, now, now]);
      await raw.query(job, ['n.j2', 'e2', 'PENDING', 0, now, now]);
      await raw.query(job, ['n.j3', 'e3', 'RETRY', 1, now - 1, now]);
      const attempt = `INSERT INTO attempts (id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, request_headers)
        VALUES ($1, $2, $3, 'w', 0, 1, $4, 5, $5, $6, '{"a":"b"}')`;
      await raw.query(attempt, ['a1', 'n.j1', 'e1', now, 204, 1]);
      await raw.query(attempt, ['a3', 'n.j3', 'e3', now, 500, 0]);
      // As if 010 (built outside a transaction) had stopped after building its first index.
      await raw.query('CREATE INDEX attempts_webhook_010 ON attempts(webhook_id, org_id, started_at)');
    } finally {
      await raw.end();
    }
    const store = new PgLogStore(old.url, 4);
    try {
      assert.deepEqual(await store.migrate(), ['007_event_log', '008_drop_events_org_created', '009_attempts_job_state_by_status', '010_history_read_indexes', '011_attempts_by_event', '012_idempotency_keys_expiry', '013_validation_jobs_by_age', '014_key_check']);
      const indexes = (await store.pool.query(
        `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisvalid AS valid
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'attempts'::regclass ORDER BY 1`,
      )).rows as { name: string; def: string; valid: boolean }[];
      assert.deepEqual(indexes.map((x) => x.name), ['attempts_event', 'attempts_job', 'attempts_job_state', 'attempts_webhook'], 'no index left under its building name');
      assert.match(indexes.find((x) => x.name === 'attempts_event')!.def, /\(event_id\)$/);
      assert.ok(indexes.every((x) => x.valid));
      assert.match(indexes.find((x) => x.name === 'attempts_webhook')!.def, /\(webhook_id, org_id, started_at\)$/);
      assert.match(indexes.find((x) => x.name === 'attempts_job_state')!.def, /\(org_id, job_status, \(\(started_at \+ duration_ms\)\)\) WHERE \(job_status IS NOT NULL\)$/);
      await assertUpgradedQueue(store);
    } finally {
      await store.close();
      await old.drop();
    }
  });

  test('a lane\'s seqs commit in their order: a publish waits for the one that drew before it, and the reader skips neither', async () => {
    await reset();
    const store = await open();
    const before = await store.countByStatus();
    const lane = laneOf('w-order');
    // A slow publish on another connection: it holds the lane's order lock and has drawn its seq,
    // not committed yet.
    const slow = item(['w-order']);
    const e = slow.event;
    await probe.query('BEGIN');
    await probe.query('SELECT pg_advisory_xact_lock($1, $2)', [LOG_ORDER_LOCK, lane]);
    await probe.query('INSERT INTO events (id, org_id, type, payload, created_at) VALUES ($1, 0, $2, $3, $4)', [e.id, e.type, e.payload, e.createdAt]);
    await probe.query('INSERT INTO log (lane, event_id, org_id, event_type, created_at, targets) VALUES ($1, $2, 0, $3, $4, $5)', [lane, e.id, e.type, e.createdAt, '["w-order"]']);
    const later = item(['w-order']);
    let published = false;
    const publishing = store.publishEvents([later], 60_000).then(() => (published = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(published, false, 'the later publish waits for the lane');
    assert.deepEqual((await claim(store, 'a', 10)).jobs, [], 'nothing committed to read yet');
    await probe.query('COMMIT');
    await publishing;
    const got = await drain(store, 'a');
    assert.deepEqual(got.map((j) => j.eventId).sort(), [e.id, later.event.id].sort(), 'both, the earlier seq included');
    assert.equal((await store.countByStatus()).SUCCESS, (before.SUCCESS ?? 0) + 2);
    await store.close();
  });
});
