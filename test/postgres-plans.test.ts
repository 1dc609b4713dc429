// PostgreSQL plans of the hot statements on a queue that grows from empty. A new database's
// tables are analyzed by autovacuum only a minute or more after they fill, and a plan cached by a
// connection while jobs was small is kept until then: the completion's join scanned the whole
// jobs table on every call (14-16 ms each at 33,000 jobs in the benchmark's latency phase). The
// store analyzes the tables itself as it fills them (PostgresStore.grew).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { PostgresStore } from '../src/store/postgres/index.ts';
import type { JobRow, PublishItem } from '../src/store/types.ts';
import { createTestDatabase, engines, scanCounts, type TestDatabase } from './helpers/databases.ts';

function item(orgId: number, webhookId: string): PublishItem {
  const at = Date.now();
  const event = { id: `n.${crypto.randomUUID()}`, orgId, type: 'kpi.alert', payload: '{}', name: null, runId: null, recipients: null, attachments: [], createdAt: at };
  const job: JobRow = {
    id: `n.${crypto.randomUUID()}`, kind: 'event', eventId: event.id, eventType: event.type, webhookId, orgId, status: 'PENDING', tryCount: 0, budgetStart: 0,
    nextAttemptAt: at, leaseOwner: null, leaseUntil: null, detail: null, lastStatus: null, createdAt: at, updatedAt: at,
  };
  return { event, attachments: [], jobs: [job] };
}

if (engines.includes('postgres')) {
  describe('postgres: plans on a growing queue', () => {
    let db: TestDatabase;
    let store: PostgresStore;
    const owner = 'w-plans';

    before(async () => {
      db = await createTestDatabase('postgres');
      // One connection in the main pool: every completion runs on the connection whose plan cache
      // and statistics this test reads.
      store = new PostgresStore(db.url, 1);
      await store.migrate();
      await store.createOrg({ id: 1, name: 'plans', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
    });

    after(async () => {
      await store.close();
      await db.drop();
    });

    /** Claims n jobs one at a time (each with its event), hands one back and completes the others one by one. */
    async function cycle(n: number): Promise<void> {
      const jobs: JobRow[] = [];
      for (let i = 0; i < n + 1; i++) {
        const claimed = await store.claimWithEvents({ owner, now: Date.now(), leaseMs: 60_000, limit: 1, excludeWebhookIds: [] });
        assert.equal(claimed.events.length, 1);
        jobs.push(...claimed.jobs);
      }
      await store.releaseLeases(owner, [jobs.pop()!.id]);
      for (const j of jobs) {
        const attempt = { id: crypto.randomUUID(), jobId: j.id, eventId: j.eventId, webhookId: j.webhookId, orgId: 1, attemptNo: 1, startedAt: Date.now(), durationMs: 1, statusCode: 204, success: true, error: null, responseBody: '', requestHeaders: {} };
        assert.equal(await store.completeAttempt(attempt, owner, { status: 'SUCCESS', nextAttemptAt: null, detail: '' }), true);
      }
    }

    /** Sequential scans of jobs and events so far (the lease pool's connections report when idle). */
    async function scans(): Promise<{ jobs: number; events: number }> {
      const c = await scanCounts(store.pool, ['jobs', 'events']);
      return { jobs: c.jobs.seq, events: c.events.seq };
    }

    test('claims, event reads, releases and completions look rows up by key after the tables grew, whatever was planned while they were small', async () => {
      // Ten of each while the tables hold a dozen rows: past the five custom plans after which
      // PostgreSQL may settle on a cached generic plan for a prepared statement.
      for (let i = 0; i < 2; i++) await store.publishEvents(Array.from({ length: 6 }, () => item(1, 'wh-a')), 60_000);
      for (let i = 0; i < 10; i++) await cycle(1);
      // 20,000 more jobs and events (autovacuum would take a minute to come by).
      for (let b = 0; b < 200; b++) await store.publishEvents(Array.from({ length: 100 }, () => item(1, 'wh-a')), 60_000);
      await store.statisticsSettled();
      const before = await scans();
      await cycle(5);
      const after = await scans();
      assert.deepEqual({ jobs: after.jobs - before.jobs, events: after.events - before.events }, { jobs: 0, events: 0 }, 'whole-table reads of jobs or events');
    });
  });
}
