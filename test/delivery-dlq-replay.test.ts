// The dead-letter queue: dead jobs with their last error, filters and paging, replay of one job
// and of many (with a fresh retry budget), resend of an event as a new job.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines, type TestService } from './helpers/harness.ts';
import { startWithApi, stopWithApi, type Api } from './helpers/receiver.ts';

const ATTEMPTS = 4; // 1 + the 3 retries of HOOKRELAY_RETRY_SCHEDULE

for (const engine of engines) {
  describe(`dead-letter queue, replay and resend (${engine})`, () => {
    let svc: TestService;
    let api: Api;

    before(async () => {
      ({ svc, api } = await startWithApi(engine, { HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32', HOOKRELAY_RETRY_SCHEDULE: '0.2,0.2,0.2' }));
    });
    after(async () => {
      await stopWithApi(svc, api);
    });

    const dlq = async (query: string) => api.ok('GET', `/api/v1/dlq?${query}`);

    test('a job that keeps failing lands in the DLQ with its last error; replay after the fix delivers it', async (t) => {
      const { rx, hook } = await api.endpoint(t, { status: 500, body: 'db down' });
      const id = await api.publish('kpi.alert', { kpi: 'latency' });
      const [dead] = await api.settled(id);
      assert.equal(dead.status, 'FAILED');
      assert.equal(dead.try_count, ATTEMPTS);
      const list = await dlq(`webhook=${hook.id}`);
      assert.equal(list.pagination.total, 1);
      const [item] = list.items;
      assert.equal(item.id, dead.id);
      assert.equal(item.event_id, id);
      assert.equal(item.event_type, 'kpi.alert');
      assert.equal(item.webhook_id, hook.id);
      assert.equal(item.status, 'FAILED');
      assert.equal(item.last_status_code, 500);
      assert.match(item.last_error, /500/);
      // The webhook is addressable by name as well.
      assert.equal((await dlq(`webhook=${encodeURIComponent(hook.name)}`)).items[0]?.id, dead.id);

      rx.program({ status: 200 });
      const replay = await api.ok('POST', `/api/v1/dlq/${dead.id}/replay`, undefined, 202);
      assert.equal(replay.queued, 1);
      const [job] = await api.settled(id);
      assert.equal(job.id, dead.id, 'replay requeues the same job');
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.try_count, ATTEMPTS + 1);
      assert.equal(rx.requests.length, ATTEMPTS + 1);
      assert.ok(rx.requests.every((r) => r.headers['webhook-id'] === id), 'the replay keeps the webhook-id');
      assert.equal((await dlq(`webhook=${hook.id}`)).pagination.total, 0, 'no longer dead');
      // Only dead jobs can be replayed.
      assert.equal((await api.req('POST', `/api/v1/dlq/${dead.id}/replay`)).status, 404);
      assert.equal((await api.req('POST', '/api/v1/dlq/n.00000000-0000-4000-8000-000000000000/replay')).status, 404);
    });

    test('a replayed job that still fails gets a full retry budget again, then is dead again', async (t) => {
      const { rx } = await api.endpoint(t, { status: 502 });
      const id = await api.publish('kpi.alert', {});
      const [dead] = await api.settled(id);
      await api.ok('POST', `/api/v1/dlq/${dead.id}/replay`, undefined, 202);
      const [again] = await api.settled(id);
      assert.equal(again.status, 'FAILED');
      assert.equal(again.try_count, ATTEMPTS * 2);
      assert.equal(rx.requests.length, ATTEMPTS * 2);
    });

    test('replay-all requeues every matching dead job and answers how many', async (t) => {
      const { rx: a, hook: ha } = await api.endpoint(t, { status: 500 }, { events: ['ingestion.failed'] });
      const { rx: b, hook: hb } = await api.endpoint(t, { status: 500 }, { events: ['ingestion.completed'] });
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await api.publish('ingestion.failed', { i }));
      const other = await api.publish('ingestion.completed', {});
      for (const id of [...ids, other]) assert.equal((await api.settled(id))[0].status, 'FAILED');
      assert.equal((await dlq(`webhook=${ha.id}`)).pagination.total, 3);
      assert.equal((await dlq(`event_type=ingestion.failed&webhook=${ha.id}&limit=2`)).items.length, 2, 'paged');
      assert.equal((await dlq(`webhook=${ha.id}&since=${Date.now() + 60_000}`)).pagination.total, 0, 'time filter');
      assert.equal((await dlq(`webhook=${ha.id}&until=${new Date(Date.now() + 60_000).toISOString()}`)).pagination.total, 3);

      a.program({ status: 200 });
      b.program({ status: 200 });
      const res = await api.ok('POST', '/api/v1/dlq/replay-all', { webhook: ha.id, event_type: 'ingestion.failed' }, 202);
      assert.equal(res.queued, 3);
      for (const id of ids) assert.equal((await api.settled(id))[0].status, 'SUCCESS');
      assert.equal(a.requests.length, 3 * ATTEMPTS + 3);
      assert.deepEqual(new Set(a.requests.slice(-3).map((r) => r.headers['webhook-id'])), new Set(ids));
      // The other webhook's dead job was not part of the filter.
      assert.equal((await api.jobs(other))[0].status, 'FAILED');
      assert.equal(b.requests.length, ATTEMPTS);
      assert.equal((await dlq(`webhook=${hb.id}`)).pagination.total, 1);
      const second = await api.ok('POST', '/api/v1/dlq/replay-all', { webhook: hb.id }, 202);
      assert.equal(second.queued, 1);
      assert.equal((await api.settled(other))[0].status, 'SUCCESS');
      assert.equal((await api.ok('POST', '/api/v1/dlq/replay-all', { webhook: hb.id }, 202)).queued, 0, 'nothing left');
    });

    test('a failed webhook.test job is dead-lettered and replayable too', async (t) => {
      const { rx, hook } = await api.endpoint(t, { status: 500 }, { events: ['dashboard.ready'] });
      const sent = await api.ok('POST', `/api/v1/webhooks/${hook.id}/test`, undefined, 202);
      const [dead] = await api.settled(sent.event_id);
      assert.equal(dead.status, 'FAILED');
      const items = (await dlq(`webhook=${hook.id}`)).items;
      assert.deepEqual(items.map((i: any) => i.id), [sent.job_id]);
      assert.equal(items[0].event_type, 'webhook.test');
      // Its type is one the filter takes (it answered 400 for it).
      assert.deepEqual((await dlq(`webhook=${hook.id}&event_type=webhook.test`)).items.map((i: any) => i.id), [sent.job_id]);
      assert.equal((await dlq(`webhook=${hook.id}&event_type=kpi.alert`)).items.length, 0);
      rx.program({ status: 200 });
      // A JSON content-type without a body on a route that reads none (a 400 "body is empty" before).
      const replayed = await fetch(`${api.baseUrl}/api/v1/dlq/${sent.job_id}/replay`, { method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' } });
      assert.equal(replayed.status, 202, await replayed.text());
      assert.equal((await api.settled(sent.event_id))[0].status, 'SUCCESS');
    });

    test('DLQ filters reject unknown webhooks and bad times', async () => {
      assert.equal((await api.req('GET', '/api/v1/dlq?webhook=no-such-hook')).status, 404);
      assert.equal((await api.req('GET', '/api/v1/dlq?since=yesterday')).status, 400);
      assert.equal((await api.req('GET', '/api/v1/dlq?event_type=not.a.type')).status, 400);
    });

    test('replay-all takes no body as no filter, and refuses a filter it does not know', async (t) => {
      const { hook } = await api.endpoint(t, { status: 500 }, { events: ['analysis.completed'] });
      const id = await api.publish('analysis.completed', {});
      assert.equal((await api.settled(id))[0].status, 'FAILED');
      // A misspelt filter is a 400 naming it, not a replay of every dead letter of the org.
      const misspelt = await api.req('POST', '/api/v1/dlq/replay-all', { webhook_id: hook.id });
      assert.equal(misspelt.status, 400);
      assert.equal(misspelt.body.error.field, 'webhook_id');
      assert.match(misspelt.body.error.message, /^webhook_id: is not a field of this request \(misspelt\?\); its fields are webhook, event_type, since, until$/);
      assert.equal((await dlq(`webhook=${hook.id}`)).pagination.total, 1, 'nothing replayed');
      // Without a body, and with a JSON content-type but no body (both 400 "body: must be object" /
      // "is empty" before): every dead letter of the org, this one included.
      const post = (headers: Record<string, string>) => fetch(`${api.baseUrl}/api/v1/dlq/replay-all`, { method: 'POST', headers: { authorization: `Bearer ${api.token}`, ...headers } });
      const bare = await post({});
      assert.equal(bare.status, 202, await bare.clone().text());
      assert.ok((await bare.json()).queued >= 1);
      assert.equal((await api.settled(id))[0].status, 'FAILED', 'dead again');
      const typed = await post({ 'content-type': 'application/json' });
      assert.equal(typed.status, 202, await typed.clone().text());
      assert.ok((await typed.json()).queued >= 1);
    });

    test('dead letters of a deleted webhook are not replayed: one is a 400, replay-all leaves and counts them', async (t) => {
      const { hook } = await api.endpoint(t, { status: 500 }, { events: ['dashboard.ready'] });
      const id = await api.publish('dashboard.ready', {});
      const [dead] = await api.settled(id);
      assert.equal(dead.status, 'FAILED');
      assert.equal((await api.req('POST', '/api/rest/2.0/webhooks/delete', { webhook_identifiers: [hook.id] })).status, 200);
      // Requeued, each failed again at once ("webhook was deleted") and spent a try (fuzzing).
      const one = await api.req('POST', `/api/v1/dlq/${dead.id}/replay`);
      assert.equal(one.status, 400, one.text);
      assert.equal(one.body.error.field, 'job_id');
      const all = await api.ok('POST', '/api/v1/dlq/replay-all', { event_type: 'dashboard.ready' }, 202);
      assert.deepEqual(all, { queued: 0, skipped_deleted_webhooks: 1 });
      const [after] = await api.settled(id);
      assert.deepEqual([after.status, after.try_count], ['FAILED', ATTEMPTS], 'untouched');
    });

    test('resend creates a new job for the event; the receiver sees the same webhook-id', async (t) => {
      const { rx, hook } = await api.endpoint(t, { status: 200 });
      const id = await api.publish('kpi.alert', { x: 1 });
      const [first] = await api.settled(id);
      assert.equal(first.status, 'SUCCESS');
      const res = await api.ok('POST', `/api/v1/webhooks/${hook.id}/resend`, { event_id: id }, 202);
      assert.equal(res.event_id, id);
      assert.match(res.job_id, /^n\./);
      assert.notEqual(res.job_id, first.id);
      const jobs = await api.settled(id, 2);
      assert.deepEqual(new Set(jobs.map((j) => j.id)), new Set([first.id, res.job_id]));
      assert.ok(jobs.every((j) => j.status === 'SUCCESS' && j.try_count === 1));
      assert.equal(rx.requests.length, 2);
      assert.equal(rx.requests[1].headers['webhook-id'], id);
      assert.ok(rx.requests[1].body.equals(rx.requests[0].body), 'the same bytes are resent');
      assert.equal((await api.req('POST', `/api/v1/webhooks/${hook.id}/resend`, { event_id: 'n.nope' })).status, 404);
      assert.equal((await api.req('POST', '/api/v1/webhooks/no-such-hook/resend', { event_id: id })).status, 404);
    });
  });
}
