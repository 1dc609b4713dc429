// What the event-log tests of both engines share (test/sqlite-log.test.ts, test/postgres-log.test.ts).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { eventJobId } from '../../src/domain/jobs.ts';
import type { Completion, JobRow, PublishItem, Store } from '../../src/store/types.ts';

/** An event to these webhooks, by fan-out as the API publishes it. */
export function item(webhookIds: string[], at = Date.now()): PublishItem {
  const event = { id: `n.${crypto.randomUUID()}`, orgId: 0, type: 'kpi.alert', payload: '{"a":1}', name: null, runId: null, recipients: null, attachments: [], createdAt: at };
  return { event, attachments: [], jobs: [], fanout: { kind: 'event', webhookIds } };
}

export function success(j: JobRow, owner: string): Completion {
  const a = { id: crypto.randomUUID(), jobId: j.id, eventId: j.eventId, webhookId: j.webhookId, orgId: j.orgId, attemptNo: j.tryCount + 1, startedAt: Date.now(), durationMs: 1, statusCode: 204, success: true, error: null, responseBody: '', requestHeaders: {} };
  return { attempt: a, owner, transition: { status: 'SUCCESS', nextAttemptAt: null, detail: '' } };
}

/** A reader's state when its process dies: 50 events to w1 and w2 published, 60 jobs out with owner `a`, every other one recorded. */
export async function crashMidway(store: Store): Promise<{ items: PublishItem[]; recorded: JobRow[] }> {
  const items = Array.from({ length: 50 }, () => item(['w1', 'w2']));
  await store.publishEvents(items, 60_000);
  const { jobs } = await store.claimWithEvents({ owner: 'a', now: Date.now(), leaseMs: 30_000, limit: 60, excludeWebhookIds: [] });
  assert.equal(jobs.length, 60);
  const recorded = jobs.filter((_, i) => i % 2 === 0);
  await store.completeAttempts(recorded.map((j) => success(j, 'a')));
  return { items, recorded };
}

/** What the next reader delivered after crashMidway: every job not recorded, once, and none that was. */
export function assertRedelivered({ items, recorded }: { items: PublishItem[]; recorded: JobRow[] }, again: JobRow[]): void {
  const all = new Set(items.flatMap((it) => [eventJobId(it.event.id, 0), eventJobId(it.event.id, 1)]));
  const recordedIds = new Set(recorded.map((j) => j.id));
  assert.equal(again.length, 100 - recorded.length, 'every job not recorded, once');
  assert.ok(again.every((j) => all.has(j.id) && !recordedIds.has(j.id)), 'none that was recorded');
}

/**
 * A store opened on a database from before the log, holding a delivered job n.j1 (attempt a1), a
 * queued one n.j2 and a due retry n.j3 (attempt a3), all to webhook w: the history reads as before,
 * and the queued and the retry are claimed and delivered.
 */
export async function assertUpgradedQueue(store: Store): Promise<void> {
  assert.deepEqual((await store.searchAttempts({ orgId: 0, webhookId: 'w', offset: 0, limit: 10 })).rows.map((a) => [a.id, a.statusCode, a.requestHeaders]).sort(), [['a1', 204, { a: 'b' }], ['a3', 500, { a: 'b' }]]);
  assert.deepEqual(await store.countByStatus(), { SUCCESS: 1, PENDING: 1, RETRY: 1 });
  const { jobs } = await store.claimWithEvents({ owner: 'w', now: Date.now(), leaseMs: 30_000, limit: 10, excludeWebhookIds: [] });
  assert.deepEqual(jobs.map((j) => j.id).sort(), ['n.j2', 'n.j3'], 'the queued and the due retry');
  await store.completeAttempts(jobs.map((j) => success(j, 'w')));
  assert.deepEqual(await store.countByStatus(), { SUCCESS: 3 });
}
