// Delivery outcomes against real loopback receivers: success, retries with the configured
// schedule, dead jobs, 410, 429 + Retry-After, hangs past the timeout, connection resets, slow
// bodies, a stable webhook-id across retries, and one hanging endpoint not delaying another.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { engines, type TestService } from './helpers/harness.ts';
import { eventually, type Program, type Receiver, startWithApi, stopWithApi, type Api } from './helpers/receiver.ts';

const TIMEOUT_MS = 1000;
const PER_ENDPOINT = 8;
const RETRY_MS = 300;
const JITTER = 0.1;

for (const engine of engines) {
  describe(`delivery outcomes and retries (${engine})`, () => {
    let svc: TestService;
    let api: Api;

    before(async () => {
      ({ svc, api } = await startWithApi(engine, {
        HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32',
        HOOKRELAY_RETRY_SCHEDULE: '0.3,0.3,0.3',
        HOOKRELAY_DELIVERY_TIMEOUT_MS: String(TIMEOUT_MS),
        HOOKRELAY_ENDPOINT_CONCURRENCY: String(PER_ENDPOINT),
      }));
    });
    after(async () => {
      await stopWithApi(svc, api);
    });

    const endpoint = (t: TestContext, program: Program, events = ['kpi.alert']) => api.endpoint(t, program, { events });

    test('2xx: one attempt, SUCCESS', async (t) => {
      const { rx, hook } = await endpoint(t, { status: 204, body: '' });
      const id = await api.publish('kpi.alert', { kpi: 'revenue', value: 1 });
      const [job] = await api.settled(id);
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.try_count, 1);
      assert.equal(job.last_status_code, 204);
      assert.match(job.id, /^n\.[0-9a-f-]{36}\.0$/, 'the event id and the place of the webhook among its targets');
      assert.equal(rx.requests.length, 1);
      assert.equal(rx.requests[0].method, 'POST');
      assert.match(String(rx.requests[0].headers['content-type']), /^application\/json/);
      assert.match(String(rx.requests[0].headers['user-agent']), /^HookRelay\/\d/);
      const body = rx.requests[0].json();
      assert.equal(body.event, 'kpi.alert');
      assert.deepEqual(body.data, { kpi: 'revenue', value: 1 });
      assert.equal(typeof body.tenantId, 'string');
      assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
      const attempts = await api.attempts(hook.id);
      assert.equal(attempts.length, 1);
      assert.equal(attempts[0].status_code, 204);
      assert.equal(attempts[0].success, true);
    });

    test('sequential deliveries to one endpoint reuse one connection', async (t) => {
      const { rx } = await endpoint(t, { status: 200 }, ['analysis.completed']);
      for (let i = 0; i < 5; i++) await api.settled(await api.publish('analysis.completed', { i }));
      assert.equal(rx.requests.length, 5);
      assert.equal(new Set(rx.requests.map((r) => r.remotePort)).size, 1, `client ports: ${rx.requests.map((r) => r.remotePort)}`);
    });

    test('500 always: 1 + 3 retries on the schedule, then FAILED; webhook-id is the event id throughout', async (t) => {
      const { rx, hook } = await endpoint(t, { status: 500, body: 'boom' });
      const id = await api.publish('kpi.alert', { n: 500 });
      const [job] = await api.settled(id);
      assert.equal(job.status, 'FAILED');
      assert.equal(job.try_count, 4);
      assert.match(job.detail, /500/);
      assert.equal(rx.requests.length, 4, 'exactly 4 attempts');
      for (let i = 1; i < 4; i++) {
        const gap = rx.requests[i].at - rx.requests[i - 1].at;
        assert.ok(gap >= RETRY_MS * (1 - JITTER) - 20, `retry ${i} came after ${gap} ms, schedule says ~${RETRY_MS}`);
      }
      const ids = rx.requests.map((r) => r.headers['webhook-id']);
      assert.deepEqual(ids, [id, id, id, id], 'webhook-id equals the event id on every retry');
      // The same bytes each time: the envelope is built once at publish.
      assert.equal(new Set(rx.requests.map((r) => r.text())).size, 1);
      const attempts = await api.attempts(hook.id);
      assert.deepEqual(attempts.map((a) => a.attempt), [4, 3, 2, 1], 'newest first');
      assert.ok(attempts.every((a) => a.status_code === 500 && a.success === false && a.response_body === 'boom'));
      await sleepAndAssertQuiet(rx, 4);
    });

    test('410 Gone: one attempt, FAILED, no retry', async (t) => {
      const { rx } = await endpoint(t, { status: 410 });
      const id = await api.publish('kpi.alert', { n: 410 });
      const [job] = await api.settled(id);
      assert.equal(job.status, 'FAILED');
      assert.equal(job.try_count, 1);
      assert.match(job.detail, /410/);
      await sleepAndAssertQuiet(rx, 1);
    });

    test('other 4xx: permanent, one attempt; 3xx: retried and redirects not followed', async (t) => {
      const { rx: r400 } = await endpoint(t, { status: 400 }, ['ingestion.completed']);
      const { rx: r302, hook: h302 } = await endpoint(t, (r) => (r.n === 1 ? { status: 302, headers: { location: '/elsewhere' } } : { status: 200 }), ['ingestion.failed']);
      const [j400] = await api.settled(await api.publish('ingestion.completed', {}));
      assert.equal(j400.status, 'FAILED');
      assert.equal(j400.try_count, 1);
      assert.equal(r400.requests.length, 1);
      const [j302] = await api.settled(await api.publish('ingestion.failed', {}));
      assert.equal(j302.status, 'SUCCESS');
      assert.equal(j302.try_count, 2);
      assert.deepEqual(r302.requests.map((r) => r.path), ['/hook', '/hook'], 'the Location was never followed');
      assert.deepEqual((await api.attempts(h302.id)).map((a) => a.status_code), [200, 302]);
    });

    test('429 with Retry-After: 1 waits at least ~1 s before the next attempt', async (t) => {
      const { rx } = await endpoint(t, (r) => (r.n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
      const id = await api.publish('kpi.alert', { n: 429 });
      const [job] = await api.settled(id);
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.try_count, 2);
      const gap = rx.requests[1].at - rx.requests[0].at;
      assert.ok(gap >= 950, `second attempt came ${gap} ms after the 429; Retry-After asked for 1000 ms`);
    });

    test('a huge Retry-After is honoured only up to its bound (1 hour)', async (t) => {
      const { rx } = await endpoint(t, { status: 429, headers: { 'retry-after': String(7 * 86400) } }, ['kpi.computed']);
      const id = await api.publish('kpi.computed', {});
      const job = await eventually(async () => (await api.jobs(id)).find((j) => j.status === 'RETRY'), { what: 'the job to wait for its retry' });
      const wait = Date.parse(job.next_attempt_at) - Date.now();
      assert.ok(wait > 3_500_000 && wait <= 3_600_000, `next attempt in ${wait} ms`);
      assert.equal(rx.requests.length, 1);
    });

    test('503 with Retry-After is honoured too', async (t) => {
      const { rx } = await endpoint(t, (r) => (r.n === 1 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
      const [job] = await api.settled(await api.publish('kpi.alert', { n: 503 }));
      assert.equal(job.status, 'SUCCESS');
      assert.ok(rx.requests[1].at - rx.requests[0].at >= 950);
    });

    test('a receiver that hangs past the timeout: the attempt fails with a timeout and is retried', async (t) => {
      const { rx, hook } = await endpoint(t, (r) => (r.n === 1 ? { hang: true } : { status: 200 }));
      const id = await api.publish('kpi.alert', { n: 'hang' });
      const [job] = await api.settled(id);
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.try_count, 2);
      assert.equal(rx.requests.length, 2);
      const [ok, hung] = await api.attempts(hook.id);
      assert.equal(ok.status_code, 200);
      assert.equal(hung.status_code, null);
      assert.match(hung.error, /timeout/i);
      assert.ok(hung.response_time_ms >= TIMEOUT_MS - 50, `timed out after ${hung.response_time_ms} ms`);
      assert.ok(hung.response_time_ms < TIMEOUT_MS + 1000, `timed out after ${hung.response_time_ms} ms`);
    });

    test('a connection reset is retried', async (t) => {
      const { rx, hook } = await endpoint(t, (r) => (r.n <= 2 ? { reset: true } : { status: 200 }));
      const id = await api.publish('kpi.alert', { n: 'reset' });
      const [job] = await api.settled(id);
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.try_count, 3);
      assert.equal(rx.requests.length, 3);
      const attempts = await api.attempts(hook.id);
      assert.deepEqual(attempts.map((a) => a.status_code), [200, null, null]);
      for (const a of attempts.slice(1)) assert.match(a.error, /network|reset|socket|closed/i);
      assert.deepEqual(rx.requests.map((r) => r.headers['webhook-id']), [id, id, id]);
    });

    test('a slow body within the timeout succeeds and is kept whole', async (t) => {
      const body = 'x'.repeat(400);
      const { hook } = await endpoint(t, { status: 200, body, slowBody: { chunks: 4, intervalMs: 100 } });
      const [job] = await api.settled(await api.publish('kpi.alert', { n: 'slow' }));
      assert.equal(job.status, 'SUCCESS');
      const [a] = await api.attempts(hook.id);
      assert.equal(a.response_body, body);
      assert.ok(a.response_time_ms >= 300, `took ${a.response_time_ms} ms`);
    });

    test('a body dripping past the timeout fails the attempt: the timeout covers the whole response', async (t) => {
      const { hook } = await endpoint(t, (r) => (r.n === 1 ? { status: 200, body: 'y'.repeat(20), slowBody: { chunks: 20, intervalMs: 150 } } : { status: 200 }));
      const [job] = await api.settled(await api.publish('kpi.alert', { n: 'drip' }));
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.try_count, 2);
      const [, first] = await api.attempts(hook.id);
      assert.equal(first.success, false);
      assert.match(first.error, /timeout/i);
      assert.ok(first.response_time_ms < TIMEOUT_MS + 1000);
    });

    test('one hanging endpoint does not delay deliveries to a healthy one', async (t) => {
      const { rx: stuck } = await endpoint(t, { hang: true }, ['dashboard.ready']);
      const { rx: healthy } = await endpoint(t, { status: 200 }, ['dashboard.ready']);
      const N = PER_ENDPOINT + 4; // more than the per-endpoint limit, so the stuck endpoint is saturated
      const started = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < N; i++) ids.push(await api.publish('dashboard.ready', { i }));
      await healthy.waitFor(N, { timeoutMs: TIMEOUT_MS * 3 });
      const took = Math.max(...healthy.requests.map((r) => r.at)) - started;
      assert.ok(took < TIMEOUT_MS * 0.6, `the healthy endpoint got all ${N} events after ${took} ms; the hang timeout is ${TIMEOUT_MS} ms`);
      assert.deepEqual(new Set(healthy.requests.map((r) => r.headers['webhook-id'])), new Set(ids));
      assert.ok(stuck.requests.length >= 1 && stuck.requests.length <= PER_ENDPOINT, `the stuck endpoint holds ${stuck.requests.length} attempts (per-endpoint limit ${PER_ENDPOINT})`);
    });
  });
}

/** After a job is final no further attempt arrives (checked over a window longer than a retry). */
async function sleepAndAssertQuiet(rx: Receiver, expected: number) {
  const until = Date.now() + RETRY_MS * 2;
  await eventually(() => Date.now() > until || rx.requests.length > expected, { timeoutMs: RETRY_MS * 3 });
  assert.equal(rx.requests.length, expected, 'no attempt after the job was final');
}
