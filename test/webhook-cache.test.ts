// The worker's webhook cache: rows kept for their TTL, and one read of the store shared by the
// deliveries that find an entry missing or expired at the same moment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppContext } from '../src/context.ts';
import { WebhookCache } from '../src/delivery/runner.ts';
import type { WebhookRow } from '../src/store/types.ts';

const row: WebhookRow = {
  id: 'w1', orgId: 0, name: 'hook', description: null, url: 'https://example.com/h', urlParams: null, events: ['kpi.alert'],
  authentication: null, signatureVerification: null, storageDestination: null, additionalHeaders: null,
  createdAt: 0, modifiedAt: 0, createdBy: null, modifiedBy: null,
};

test('webhook cache: concurrent misses share one read; a fresh entry is not read again; an expired one is', async () => {
  let reads = 0;
  const ctx = { store: { findWebhook: async () => (reads++, await new Promise((r) => setTimeout(r, 20)), row) } } as unknown as AppContext;
  const cache = new WebhookCache(ctx, 50);
  const hooks = await Promise.all(Array.from({ length: 32 }, () => cache.get(0, 'w1')));
  assert.equal(reads, 1, '32 deliveries in flight, one read');
  assert.ok(hooks.every((h) => h?.row === row && h.target.url === row.url));
  await cache.get(0, 'w1');
  assert.equal(reads, 1, 'within the TTL the entry is used');
  await new Promise((r) => setTimeout(r, 60));
  await Promise.all([cache.get(0, 'w1'), cache.get(0, 'w1')]);
  assert.equal(reads, 2, 'after the TTL it is read again, once');
});
