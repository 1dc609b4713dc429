// The delivery loop with fake claim/deliver/complete: concurrency rules and failure handling,
// independent of SQL and HTTP.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import pino from 'pino';
import { DEFAULT_RETRY_POLICY } from '../src/delivery/retry-policy.ts';
import type { SendResult } from '../src/delivery/sender.ts';
import { Worker, abortableSleep, type WorkerDeps } from '../src/delivery/worker.ts';
import type { JobRow, JobTransition } from '../src/store/types.ts';

const log = pino({ level: 'silent' });

function job(id: string, webhookId: string): JobRow {
  const now = Date.now();
  return { id, kind: 'event', eventId: `e-${id}`, eventType: 'kpi.alert', webhookId, orgId: 0, status: 'PENDING', tryCount: 0, budgetStart: 0, nextAttemptAt: now, leaseOwner: 'x', leaseUntil: now + 60_000, detail: null, lastStatus: null, createdAt: now, updatedAt: now };
}

const ok = (): SendResult => ({ startedAt: Date.now(), durationMs: 1, statusCode: 204, error: null, responseBody: '', retryAfter: null, requestHeaders: {} });

function fakeQueue(jobs: JobRow[], deliver: (j: JobRow) => Promise<SendResult>) {
  const pending = [...jobs];
  const done = new Map<string, JobTransition>();
  const released: string[] = [];
  let claims = 0;
  let maxPerEndpoint = new Map<string, number>();
  const active = new Map<string, number>();
  const deps: WorkerDeps = {
    async claim(_owner, limit, exclude) {
      claims++;
      const picked: JobRow[] = [];
      for (let i = 0; i < pending.length && picked.length < limit; ) {
        if (exclude.includes(pending[i].webhookId)) i++;
        else picked.push(pending.splice(i, 1)[0]);
      }
      return picked;
    },
    async deliver(j) {
      const n = (active.get(j.webhookId) ?? 0) + 1;
      active.set(j.webhookId, n);
      maxPerEndpoint.set(j.webhookId, Math.max(maxPerEndpoint.get(j.webhookId) ?? 0, n));
      try {
        return await deliver(j);
      } finally {
        active.set(j.webhookId, (active.get(j.webhookId) ?? 1) - 1);
      }
    },
    async complete(j, _o, _r, t) {
      done.set(j.id, t);
    },
    async release(_o, ids) {
      released.push(...ids);
      for (const id of ids) pending.push(jobs.find((j) => j.id === id)!);
    },
    // The runner's own (a copy whose listeners stayed behind printed MaxListenersExceededWarning).
    sleep: abortableSleep,
  };
  return { deps, done, released, maxPerEndpoint, pending, get claims() { return claims; } };
}

async function until(cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const opts = { concurrency: 16, perEndpointConcurrency: 2, pollIntervalMs: 10, leaseMs: 60_000, timeoutMs: 100, policy: DEFAULT_RETRY_POLICY, log };

describe('delivery loop', () => {
  test('a slow endpoint holds only its own slots; other endpoints finish first', async () => {
    const jobs = [...Array.from({ length: 6 }, (_, i) => job(`slow${i}`, 'slow')), ...Array.from({ length: 20 }, (_, i) => job(`fast${i}`, 'fast'))];
    const q = fakeQueue(jobs, async (j) => {
      if (j.webhookId === 'slow') await new Promise((r) => setTimeout(r, 300));
      return ok();
    });
    const w = new Worker(q.deps, opts);
    const started = Date.now();
    w.start();
    await until(() => [...q.done.keys()].filter((k) => k.startsWith('fast')).length === 20);
    assert.ok(Date.now() - started < 250, 'fast endpoint was not held back by the slow one');
    await until(() => q.done.size === 26);
    await w.stop(1000);
    assert.equal(q.maxPerEndpoint.get('slow'), 2, 'per-endpoint limit respected');
    assert.ok((q.maxPerEndpoint.get('fast') ?? 0) <= 2);
    for (const t of q.done.values()) assert.equal(t.status, 'SUCCESS');
  });

  test('two slow endpoints with a backlog each leave slots to a fast one (they held the whole worker)', async () => {
    // Queued first, as a backlog published before the fast webhook's events.
    const slow = (w: string) => Array.from({ length: 60 }, (_, i) => job(`${w}${i}`, w));
    const jobs = [...slow('slowA'), ...slow('slowB'), ...Array.from({ length: 20 }, (_, i) => job(`fast${i}`, 'fast'))];
    const q = fakeQueue(jobs, async (j) => {
      if (j.webhookId !== 'fast') await new Promise((r) => setTimeout(r, 300));
      return ok();
    });
    const w = new Worker(q.deps, opts);
    const started = Date.now();
    w.start();
    let took: number;
    let slowDone: number;
    try {
      await until(() => [...q.done.keys()].filter((k) => k.startsWith('fast')).length === 20, 3000);
      took = Date.now() - started;
      slowDone = [...q.done.keys()].filter((k) => k.startsWith('slow')).length;
    } finally {
      await w.stop(0);
    }
    // The slow ones need 30 rounds of 300 ms for their 120 jobs: the fast jobs are done long before.
    assert.ok(took < 1000, `fast jobs took ${took} ms`);
    assert.ok(slowDone < 20, `${slowDone} slow jobs done first`);
  });

  test('beside slow webhooks filling the worker, a fast one is claimed for as soon as it has room, not after the back-off of empty claims', async () => {
    // Share 8, reserve 4: the slow ones hold 12 jobs between them, the fast one at most its
    // concurrency (2) in the reserve, so every other claim excludes all three and finds nothing.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = (w: string) => Array.from({ length: 30 }, (_, i) => job(`${w}${i}`, w));
    const fast = Array.from({ length: 100 }, (_, i) => job(`fast${i}`, 'fast'));
    // The fast endpoint answers in 5 ms: its jobs are in flight when the next claim is made.
    const q = fakeQueue([...slow('slowA'), ...slow('slowB'), ...fast], async (j) => (await (j.webhookId !== 'fast' ? gate : new Promise((r) => setTimeout(r, 5))), ok()));
    // A back-off step (a poll, 200 ms, at least) was waited out after each round of two fast
    // jobs: 100 of them took ~50 x 200 ms.
    const w = new Worker(q.deps, { ...opts, pollIntervalMs: 200 });
    const started = Date.now();
    w.start();
    try {
      await until(() => [...q.done.keys()].filter((k) => k.startsWith('fast')).length === 100, 10_000);
      const took = Date.now() - started;
      assert.ok(took < 2500, `100 fast jobs took ${took} ms`);
    } finally {
      release();
      await w.stop(100);
    }
  });

  test('failures are scheduled for retry by the policy; a throwing deliver does not stop the loop', async () => {
    const q = fakeQueue([job('a', 'w'), job('b', 'w'), job('c', 'w')], async (j) => {
      if (j.id === 'b') throw new Error('boom');
      return { ...ok(), statusCode: j.id === 'a' ? 500 : 204 };
    });
    const w = new Worker(q.deps, opts);
    w.start();
    await until(() => q.done.has('a') && q.done.has('c'));
    await w.stop(1000);
    assert.equal(q.done.get('a')!.status, 'RETRY');
    assert.ok(q.done.get('a')!.nextAttemptAt! > Date.now() + 50_000);
    assert.equal(q.done.get('a')!.detail, 'HTTP 500');
    assert.equal(q.done.has('b'), false, 'b keeps its lease and comes back later');
    assert.equal(q.done.get('c')!.status, 'SUCCESS');
  });

  test('a job not sent for want of memory is handed back, not recorded, and sent when claimed again', async () => {
    let first = true;
    const q = fakeQueue([job('a', 'w')], async () => {
      if (first) {
        first = false;
        return { ...ok(), statusCode: null, notSent: true };
      }
      return ok();
    });
    const w = new Worker(q.deps, opts);
    w.start();
    await until(() => q.done.has('a'));
    await w.stop(1000);
    assert.deepEqual(q.released, ['a'], 'its lease handed back once');
    assert.equal(q.done.get('a')!.status, 'SUCCESS', 'no failed attempt counted before it');
  });

  test('a failing claim backs off instead of spinning, and the loop recovers', async () => {
    let calls = 0;
    const q = fakeQueue([job('x', 'w')], async () => ok());
    const realClaim = q.deps.claim;
    q.deps.claim = async (...args) => {
      calls++;
      if (calls <= 3) throw new Error('database down');
      return realClaim(...args);
    };
    const w = new Worker(q.deps, { ...opts, pollIntervalMs: 40 });
    w.start();
    await until(() => q.done.has('x'));
    await w.stop(100);
    assert.ok(calls >= 4 && calls < 10, `claims: ${calls}`);
  });

  test('stop waits for in-flight attempts and returns locally queued jobs', async () => {
    const jobs = Array.from({ length: 5 }, (_, i) => job(`j${i}`, 'one'));
    const q = fakeQueue(jobs, async () => {
      await new Promise((r) => setTimeout(r, 150));
      return ok();
    });
    const w = new Worker(q.deps, opts);
    w.start();
    await until(() => w.inFlight === 2);
    await w.stop(2000);
    assert.equal(q.done.size, 2, 'the two in-flight attempts completed');
    assert.equal(q.released.length, 3, 'queued jobs were handed back');
  });

  test('attempts still running after the grace period are handed back, not recorded', async () => {
    const jobs = [job('h1', 'hang'), job('h2', 'hang')];
    let finish!: () => void;
    const hung = new Promise<void>((r) => (finish = r));
    const q = fakeQueue(jobs, async () => {
      await hung;
      return ok();
    });
    let flushed = 0;
    q.deps.flush = async () => void flushed++;
    const w = new Worker(q.deps, opts);
    w.start();
    await until(() => w.inFlight === 2);
    const t0 = Date.now();
    await w.stop(100);
    assert.ok(Date.now() - t0 < 1000, 'stop is bounded by the grace period');
    assert.deepEqual(q.released.sort(), ['h1', 'h2'], 'the cut-off jobs went back to the queue');
    assert.equal(flushed, 1, 'buffered completions were written before stop returned');
    finish(); // the aborted requests end later: their results must not be recorded
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(q.done.size, 0);
  });

  test('attempts waiting for their record do not hold the webhook: the next jobs are claimed and sent meanwhile', async () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job(`j${i}`, 'hook'));
    const q = fakeQueue(jobs, async () => ok());
    // Records are slow (a group commit and its fsync): none is written until released.
    let writeRecords!: () => void;
    const recordsWritten = new Promise<void>((r) => (writeRecords = r));
    const recorded = q.deps.complete;
    q.deps.complete = async (...args) => {
      await recordsWritten;
      return recorded(...args);
    };
    let sent = 0;
    const deliver = q.deps.deliver;
    q.deps.deliver = async (j) => (sent++, deliver(j));
    const w = new Worker(q.deps, { ...opts, concurrency: 8, perEndpointConcurrency: 2 });
    w.start();
    // The webhook's share is 4 held jobs; all 40 are sent though none is recorded yet.
    await until(() => sent === 40);
    assert.equal(q.done.size, 0);
    writeRecords();
    await until(() => q.done.size === 40);
    await w.stop(100);
  });
  test('behind one webhook\'s backlog, claims fit its share: nothing claimed is handed back', async () => {
    // Share 8, claims of 4 (half a share). A claim takes a few ms (the storage round trip) while
    // sends complete meanwhile, so a claim started when the webhook held more than half would
    // come back with jobs that no longer fit, handed back by a release.
    const jobs = Array.from({ length: 400 }, (_, i) => job(`k${i}`, 'hook'));
    const q = fakeQueue(jobs, async () => (await new Promise((r) => setTimeout(r, 1)), ok()));
    const claim = q.deps.claim;
    q.deps.claim = async (...args) => (await new Promise((r) => setTimeout(r, 2)), claim(...args));
    const w = new Worker(q.deps, opts);
    w.start();
    try {
      await until(() => q.done.size === 400);
      assert.deepEqual(q.released, [], 'no claimed job went back');
    } finally {
      await w.stop(100);
    }
  });
  test('publishes hand jobs to the worker only while no backlog waits in the table', async () => {
    // perEndpointConcurrency 2: a webhook's share is 8 jobs, a claim behind one webhook takes 4.
    const jobs = Array.from({ length: 12 }, (_, i) => job(`b${i}`, 'hook'));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = fakeQueue(jobs, async () => (await gate, ok()));
    const w = new Worker(q.deps, opts);
    assert.equal(w.hasRoom('hook'), true, 'idle worker, nothing claimed yet: a publish may hand it jobs');
    w.start();
    await until(() => q.claims >= 1);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(w.hasRoom('hook'), false, 'the last claim took all it asked for: new jobs queue behind the backlog');
    release();
    await until(() => q.done.size === 12);
    await until(() => w.hasRoom('hook'));
    assert.equal(w.hasRoom('other'), true, 'a claim that came back short ends the backlog');
    await w.stop(100);
  });

  test('behind a full webhook, empty claims for the others back off; a publish for another webhook is claimed at once', async () => {
    // Share 8 (perEndpointConcurrency 2): 'full' holds 8 jobs whose sends never finish, so every
    // claim after that excludes it and finds nothing, until a job of 'other' is published.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = fakeQueue(Array.from({ length: 20 }, (_, i) => job(`f${i}`, 'full')), async (j) => (j.webhookId === 'full' ? await gate : undefined, ok()));
    const excluding: number[] = [];
    const claim = q.deps.claim;
    q.deps.claim = async (owner, limit, exclude) => {
      if (exclude.length) excluding.push(Date.now());
      return claim(owner, limit, exclude);
    };
    const w = new Worker(q.deps, { ...opts, pollIntervalMs: 40 });
    w.start();
    try {
      await until(() => excluding.length >= 1);
      await new Promise((r) => setTimeout(r, 1200));
      // Every 40 ms that would be ~30 claims; doubling up to 8 x 40 ms: 40, 80, 160, 320, 320, ...
      assert.ok(excluding.length <= 10, `${excluding.length} empty excluding claims in 1200 ms`);
      assert.ok(excluding.length >= 3, `${excluding.length} excluding claims: the others are still looked for`);
      // A publish in this process for the full webhook does not end the back-off...
      const before = excluding.length;
      w.notify(['full']);
      await new Promise((r) => setTimeout(r, 30));
      assert.ok(excluding.length <= before + 1, 'no claim for a publish to the full webhook beyond the one due anyway');
      // ...one for another webhook does: its job is claimed and sent well within one back-off step.
      const other = job('o1', 'other');
      const published = Date.now();
      q.pending.push(other);
      w.notify(['other']);
      await until(() => q.done.has('o1'), 1000);
      assert.ok(Date.now() - published < 150, `claimed ${Date.now() - published} ms after the publish (one back-off step: 320 ms)`);
    } finally {
      release();
      await w.stop(100);
    }
  });
});

test("the loop's sleep ends at its signal, and leaves no listener on it either way", async () => {
  const wake = new AbortController();
  for (let i = 0; i < 20; i++) await abortableSleep(1, wake.signal);
  assert.equal(getEventListeners(wake.signal, 'abort').length, 0, 'timers that fired took their listeners along');
  const t0 = Date.now();
  const long = abortableSleep(10_000, wake.signal);
  wake.abort();
  await long;
  assert.ok(Date.now() - t0 < 1000, 'cut short by the signal');
  await abortableSleep(10_000, wake.signal);
  assert.ok(Date.now() - t0 < 1000, 'an aborted signal does not sleep at all');
});
