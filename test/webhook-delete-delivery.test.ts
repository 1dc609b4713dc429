// A webhook deleted through the process that delivers: its queued jobs are not sent once the
// delete has answered (the worker's cache of webhook rows is emptied by the write), only the
// requests already in flight finish.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestService } from './helpers/harness.ts';
import { eventually, startWithApi, stopWithApi, type Api } from './helpers/receiver.ts';

let svc: TestService;
let api: Api;
before(async () => {
  ({ svc, api } = await startWithApi('sqlite', { HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32' }));
});
after(async () => {
  await stopWithApi(svc, api);
});

test('after a delete has answered, no new request goes to the deleted webhook', async (t) => {
  // 150 ms per answer, 32 in flight: 200 events take ~1 s to deliver.
  const { rx, hook } = await api.endpoint(t, { status: 200, delayMs: 150 });
  const ids = await api.ok('POST', '/api/v1/events/batch', { events: Array.from({ length: 200 }, (_, i) => ({ type: 'kpi.alert', data: { i } })) }, 202);
  assert.equal(ids.ids.length, 200);
  await eventually(() => rx.requests.length >= 40 || null, { what: 'deliveries under way' });
  const res = await api.ok('POST', '/api/rest/2.0/webhooks/delete', { webhook_identifiers: [hook.id] });
  assert.equal(res.deleted_count, 1);
  const deletedAt = Date.now();
  const before = rx.requests.length;
  await new Promise((r) => setTimeout(r, 600));
  // Requests in flight at the delete finish within an answer's 150 ms; none starts afterwards.
  const late = rx.requests.filter((r) => r.at > deletedAt + 300);
  assert.deepEqual(late.map((r) => r.n), [], `requests arrived after the delete (${before} before it, ${rx.requests.length} in all)`);
  assert.ok(rx.requests.length < 200, 'the rest were not delivered');
});
