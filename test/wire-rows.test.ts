// The storage thread's row codecs (src/store/sqlite/wire-rows.ts): what crosses as arrays comes
// out as the objects that went in, every field, through a structured clone as postMessage makes
// (which, unlike v8.deserialize, turns Buffers into plain Uint8Arrays). The objects below are typed, so a field added to a row type fails the typecheck here
// until the codec and this test carry it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROW_CODECS } from '../src/store/sqlite/wire-rows.ts';
import type { AttemptRow, EventRow, JobRow, JobTransition, PublishItem } from '../src/store/types.ts';

const clone = <T>(v: T): T => structuredClone(v);

const job = (over: Partial<JobRow> = {}): JobRow => ({
  id: 'j1', kind: 'event', eventId: 'e1', eventType: 'kpi.alert', webhookId: 'w1', orgId: 7, status: 'RETRY', tryCount: 2,
  budgetStart: 1, nextAttemptAt: 1_763_852_400_123, leaseOwner: 'w-owner', leaseUntil: 1_763_852_460_000, detail: 'HTTP 503',
  lastStatus: 503, createdAt: 1_763_852_000_000, updatedAt: 1_763_852_399_999, ...over,
});

const event = (over: Partial<EventRow> = {}): EventRow => ({
  id: 'e1', orgId: 7, type: 'kpi.alert', payload: '{"a":"\\"quoted\\" ✓ 😀"}', name: 'Weekly', runId: 'run-1',
  recipients: ['a@example.com', { id: 3 }], attachments: [{ id: 'f1', fileName: 'r.pdf', contentType: 'application/pdf', size: 3 }],
  createdAt: 1_763_852_000_000, ...over,
});

/** Encodes on one side, clones as postMessage does, decodes on the other. */
function acrossArgs(method: string, args: unknown[]): unknown[] {
  const c = ROW_CODECS[method].args!;
  return c.decode(clone(c.encode(args)) as unknown[]);
}
function acrossResult(method: string, value: unknown): unknown {
  const c = ROW_CODECS[method].result!;
  return c.decode(clone(c.encode(value)));
}

test('publishes cross with every field of their events, jobs, files, fan-out and idempotency key', () => {
  const items: PublishItem[] = [
    { event: event(), attachments: [{ id: 'f1', fileName: 'r.pdf', contentType: 'application/pdf', size: 3, data: Buffer.from([1, 2, 3]) }], jobs: [job(), job({ id: 'j2', leaseOwner: null, leaseUntil: null, detail: null, lastStatus: null })], idempotencyKey: 'k-1' },
    { event: event({ id: 'e2', name: null, runId: null, recipients: null, attachments: [] }), attachments: [], jobs: [], fanout: { kind: 'event', webhookIds: ['w1', 'w2'] } },
  ];
  const [out, ttl] = acrossArgs('publishEvents', [items, 86_400_000]) as [PublishItem[], number];
  assert.equal(ttl, 86_400_000);
  assert.deepEqual(out[0].event, items[0].event);
  assert.deepEqual(out[0].jobs, items[0].jobs);
  assert.equal(out[0].idempotencyKey, 'k-1');
  assert.equal(out[0].fanout, undefined);
  // File contents must arrive as Buffers: SQLite binds a Uint8Array differently.
  assert.ok(Buffer.isBuffer(out[0].attachments[0].data));
  assert.deepEqual(out[0].attachments, items[0].attachments);
  assert.deepEqual(out[1].event, items[1].event);
  assert.deepEqual(out[1].fanout, items[1].fanout);
  assert.equal(out[1].idempotencyKey, undefined);

  const results = [{ eventId: 'e1', created: true }, { eventId: 'e0', created: false }];
  assert.deepEqual(acrossResult('publishEvents', results), results);
});

test('claims come back with every field of their jobs and events', () => {
  const claimed = { jobs: [job(), job({ id: 'j2', kind: 'test', status: 'PENDING', detail: null, lastStatus: null })], events: [event(), event({ id: 'e2', recipients: null, attachments: [] })] };
  assert.deepEqual(acrossResult('claimWithEvents', claimed), claimed);
  assert.deepEqual(acrossResult('claimWithEvents', { jobs: [], events: [] }), { jobs: [], events: [] });
});

test("a claimed event's payload read as bytes (SQLite) arrives as a Buffer of the same bytes", () => {
  const e = event();
  const bytes = { ...e, payload: Buffer.from(e.payload) };
  const out = acrossResult('claimWithEvents', { jobs: [job()], events: [bytes] }) as { events: { payload: unknown }[] };
  assert.ok(Buffer.isBuffer(out.events[0].payload), 'a Buffer, not the Uint8Array a clone makes');
  assert.deepEqual(out.events[0], bytes);
  assert.equal((out.events[0].payload as Buffer).toString(), e.payload);
});

test('attempt records cross with every field, their request headers in order', () => {
  const attempt = (over: Partial<AttemptRow> = {}): AttemptRow => ({
    id: 'a1', jobId: 'j1', eventId: 'e1', webhookId: 'w1', orgId: 7, attemptNo: 3, startedAt: 1_763_852_400_000, durationMs: 12,
    statusCode: 500, success: false, error: null, responseBody: 'oops',
    requestHeaders: { 'content-type': 'application/json', 'x-api-key': '****', 'webhook-id': 'e1', 'X-Mixed-Case': 'v' }, ...over,
  });
  const retry: JobTransition = { status: 'RETRY', nextAttemptAt: 1_763_852_700_000, detail: 'HTTP 500' };
  const items = [
    { attempt: attempt(), owner: 'w-1', transition: retry },
    { attempt: attempt({ id: 'a2', statusCode: null, error: 'timeout', responseBody: null, requestHeaders: {} }), owner: 'w-1', transition: { status: 'FAILED' as const, nextAttemptAt: null, detail: null } },
    // Whatever a receiver answers: quotes, control characters, a lone surrogate, emoji.
    { attempt: attempt({ id: 'a3', responseBody: 'say "hi"\n\u0000\u001e\ud800 tail 😀 \\', requestHeaders: { 'x-quote': '"q"', '': 'empty name' } }), owner: 'w-2', transition: { status: 'SUCCESS' as const, nextAttemptAt: null, detail: '' } },
  ];
  const [out] = acrossArgs('completeAttempts', [items]) as [typeof items];
  assert.deepEqual(out, items);
  assert.deepEqual(Object.keys(out[0].attempt.requestHeaders), Object.keys(items[0].attempt.requestHeaders));
});
