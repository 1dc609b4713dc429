// The retry decision and outcome classification are pure: tested directly, jitter pinned.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classify, parseRetryAfter } from '../src/delivery/outcome.ts';
import { decide, DEFAULT_RETRY_POLICY } from '../src/delivery/retry-policy.ts';

const mid = () => 0.5; // no jitter
const low = () => 0; // -10%
const high = () => 0.999999; // ~+10%

describe('outcome classification', () => {
  test('2xx succeed, 410 is gone, 429/503 throttle, 5xx/408/3xx retry, other 4xx are permanent', () => {
    assert.equal(classify(200).kind, 'success');
    assert.equal(classify(204).kind, 'success');
    assert.equal(classify(299).kind, 'success');
    assert.equal(classify(410).kind, 'gone');
    assert.equal(classify(429).kind, 'throttled');
    assert.equal(classify(503).kind, 'throttled');
    for (const s of [500, 502, 504, 408, 425, 301, 302, 307]) assert.equal(classify(s).kind, 'retryable', String(s));
    for (const s of [400, 401, 403, 404, 413, 422]) assert.equal(classify(s).kind, 'permanent', String(s));
    assert.equal(classify(null).kind, 'retryable', 'network errors and timeouts retry');
  });

  test('Retry-After in seconds or as an HTTP date', () => {
    assert.equal(classify(429, '7').retryAfterMs, 7000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('retry policy', () => {
  test('1 min, 5 min, 15 min, then dead', () => {
    const fail = { kind: 'retryable' as const };
    assert.deepEqual(decide(fail, 1, DEFAULT_RETRY_POLICY, mid), { status: 'RETRY', delayMs: 60_000 });
    assert.deepEqual(decide(fail, 2, DEFAULT_RETRY_POLICY, mid), { status: 'RETRY', delayMs: 300_000 });
    assert.deepEqual(decide(fail, 3, DEFAULT_RETRY_POLICY, mid), { status: 'RETRY', delayMs: 900_000 });
    assert.deepEqual(decide(fail, 4, DEFAULT_RETRY_POLICY, mid), { status: 'FAILED' });
  });

  test('jitter stays within ±10%', () => {
    const fail = { kind: 'retryable' as const };
    const lo = decide(fail, 1, DEFAULT_RETRY_POLICY, low) as { delayMs: number };
    const hi = decide(fail, 1, DEFAULT_RETRY_POLICY, high) as { delayMs: number };
    assert.equal(lo.delayMs, 54_000);
    assert.ok(hi.delayMs > 65_900 && hi.delayMs <= 66_000, String(hi.delayMs));
    for (let i = 0; i < 200; i++) {
      const d = decide(fail, 2, DEFAULT_RETRY_POLICY) as { delayMs: number };
      assert.ok(d.delayMs >= 270_000 && d.delayMs <= 330_000);
    }
  });

  test('success, permanent and gone end the job at once', () => {
    assert.deepEqual(decide({ kind: 'success' }, 1, DEFAULT_RETRY_POLICY), { status: 'SUCCESS' });
    assert.deepEqual(decide({ kind: 'permanent' }, 1, DEFAULT_RETRY_POLICY), { status: 'FAILED' });
    assert.deepEqual(decide({ kind: 'gone' }, 1, DEFAULT_RETRY_POLICY), { status: 'FAILED' });
  });

  test('Retry-After lengthens a delay, bounded; it never shortens one', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 600_000 };
    assert.deepEqual(decide({ kind: 'throttled', retryAfterMs: 120_000 }, 1, policy, mid), { status: 'RETRY', delayMs: 120_000 });
    assert.deepEqual(decide({ kind: 'throttled', retryAfterMs: 5_000 }, 1, policy, mid), { status: 'RETRY', delayMs: 60_000 });
    assert.deepEqual(decide({ kind: 'throttled', retryAfterMs: 86_400_000 }, 1, policy, mid), { status: 'RETRY', delayMs: 600_000 });
    assert.deepEqual(decide({ kind: 'throttled', retryAfterMs: 1000 }, 4, policy, mid), { status: 'FAILED' }, 'the budget still ends');
  });

  test('a custom schedule sets the number of retries', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, scheduleMs: [1000] };
    assert.equal(decide({ kind: 'retryable' }, 1, policy, mid).status, 'RETRY');
    assert.equal(decide({ kind: 'retryable' }, 2, policy, mid).status, 'FAILED');
  });
});
