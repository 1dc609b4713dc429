// What the event-log tests of both engines share (test/sqlite-log.test.ts, test/postgres-log.test.ts).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
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
