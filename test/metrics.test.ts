// Prometheus metrics: what the worker delivered and how, what the API accepted, the queue's state
// in the database, and who may read them (the scraper's token or an administrator).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, engines, startService, type TestService } from './helpers/harness.ts';
import { Api, eventually, startWithApi, stopWithApi } from './helpers/receiver.ts';

const ATTEMPTS = 4; // 1 + the 3 retries of HOOKRELAY_RETRY_SCHEDULE
const METRICS_TOKEN = 'scraper-token-0123456789';

/** The samples of a Prometheus text page, by name and labels as printed. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(url: string, token: string): Promise<Map<string, number>> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return samples(await res.text());
}

for (const engine of engines) {
  describe(`metrics (${engine})`, () => {
    let svc: TestService;
    let api: Api;

    before(async () => {
      ({ svc, api } = await startWithApi(engine, { HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32', HOOKRELAY_RETRY_SCHEDULE: '0.2,0.2,0.2', HOOKRELAY_METRICS_TOKEN: METRICS_TOKEN }));
    });
    after(async () => {
      await stopWithApi(svc, api);
    });

    test('deliveries by result and job move, accepted and duplicate events, API answers, and the queue with its dead letters', async (t) => {
      const { rx: good } = await api.endpoint(t, { status: 204 });
      const { rx: bad } = await api.endpoint(t, { status: 500 });
      const ids = [await api.publish('kpi.alert', { n: 1 }), await api.publish('kpi.alert', { n: 2 }), await api.publish('kpi.alert', { n: 3 }, { idempotency_key: 'k-1' })];
      const again = await api.ok('POST', '/api/v1/events', { type: 'kpi.alert', data: { n: 3 }, idempotency_key: 'k-1' }, 202);
      assert.equal(again.duplicate, true);
      for (const id of ids) await api.settled(id, 2);
      assert.equal(good.requests.length, 3);
      assert.equal(bad.requests.length, 3 * ATTEMPTS);

      // The first read of the queue's state: after the deliveries, as it is kept for a while.
      const m = await scrape(`${svc.baseUrl}/metrics`, METRICS_TOKEN);
      const expected: Record<string, number> = {
        'hookrelay_delivery_attempts_total{result="success"}': 3,
        'hookrelay_delivery_attempts_total{result="http_5xx"}': 3 * ATTEMPTS,
        'hookrelay_delivery_jobs_total{status="SUCCESS"}': 3,
        'hookrelay_delivery_jobs_total{status="RETRY"}': 3 * (ATTEMPTS - 1),
        'hookrelay_delivery_jobs_total{status="FAILED"}': 3,
        hookrelay_delivery_attempt_duration_seconds_count: 3 + 3 * ATTEMPTS,
        hookrelay_delivery_end_to_end_seconds_count: 3,
        'hookrelay_events_accepted_total{type="kpi.alert"}': 3,
        hookrelay_events_duplicate_total: 1,
        'hookrelay_http_requests_total{method="POST",route="/api/v1/events",status="202"}': 4,
        hookrelay_queue_due_jobs: 0,
        hookrelay_queue_scheduled_jobs: 0,
        hookrelay_queue_oldest_due_age_seconds: 0,
        hookrelay_dead_letter_jobs: 3,
        hookrelay_database_up: 1,
        hookrelay_worker_jobs_in_flight: 0,
        hookrelay_worker_jobs_held: 0,
      };
      for (const [name, value] of Object.entries(expected)) assert.equal(m.get(name), value, name);
      // Successful attempts to a loopback receiver: well under a second, all in the histogram's buckets.
      assert.equal(m.get('hookrelay_delivery_end_to_end_seconds_bucket{le="60"}'), 3);
      assert.ok((m.get('process_resident_memory_bytes') ?? 0) > 0, 'node process metrics');
      assert.ok(!(await fetch(`${svc.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text())).includes(svc.adminToken));
    });

    test('read by the scraper\'s token or an administrator; 401 without a valid token, 403 for a non-administrator', async () => {
      const url = `${svc.baseUrl}/metrics`;
      await scrape(url, svc.adminToken);
      const none = await call(svc.baseUrl, 'GET', '/metrics');
      assert.equal(none.status, 401);
      assert.match(none.body.error.message, /^Authorization: a Bearer token is required/);
      const wrong = await call(svc.baseUrl, 'GET', '/metrics', { token: `${METRICS_TOKEN}x` });
      assert.equal(wrong.status, 401);
      const created = await api.req('POST', '/api/rest/2.0/users/create', { name: 'dev-m', display_name: 'Dev', password: 'dev-m-password', privileges: ['DEVELOPER'] });
      assert.equal(created.status, 200, created.text);
      const signIn = await call(svc.baseUrl, 'POST', '/api/rest/2.0/auth/token/full', { body: { username: 'dev-m', password: 'dev-m-password' } });
      assert.equal(signIn.status, 200, signIn.text);
      const dev = await call(svc.baseUrl, 'GET', '/metrics', { token: signIn.body.token });
      assert.equal(dev.status, 403);
      assert.match(dev.body.error.message, /ADMINISTRATION/);
    });
  });
}

describe('metrics on a port of their own (HOOKRELAY_METRICS_PORT)', () => {
  const started: TestService[] = [];
  after(async () => {
    for (const s of started) await s.close();
  });

  test('serves GET /metrics alone; asks for no token unless one is configured; a job in flight is due and held', async (t) => {
    const open = await startService({ env: { HOOKRELAY_METRICS_PORT: '0', HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32', } });
    started.push(open);
    const api = new Api(open.baseUrl, open.adminToken);
    t.after(() => api.closeReceivers());
    // A slow endpoint: its job stays in flight meanwhile.
    const { rx } = await api.endpoint(t, { status: 204, delayMs: 1500 });
    const id = await api.publish('kpi.alert', {});
    await eventually(() => rx.requests.length === 1, { what: 'the request in flight' });
    await new Promise((r) => setTimeout(r, 50));
    const url = open.running.metricsUrl!;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    const m = samples(await page.text());
    assert.deepEqual(
      ['hookrelay_queue_due_jobs', 'hookrelay_worker_jobs_in_flight', 'hookrelay_worker_jobs_held', 'hookrelay_dead_letter_jobs'].map((n) => m.get(n)),
      [1, 1, 1, 0],
    );
    assert.ok(m.get('hookrelay_queue_oldest_due_age_seconds')! >= 0.05, `oldest due age ${m.get('hookrelay_queue_oldest_due_age_seconds')}`);
    await api.settled(id);
    assert.equal((await fetch(url.replace('/metrics', '/healthz'))).status, 404);
    assert.equal((await fetch(url, { method: 'POST' })).status, 405);

    const guarded = await startService({ env: { HOOKRELAY_METRICS_PORT: '0', HOOKRELAY_METRICS_TOKEN: METRICS_TOKEN } });
    started.push(guarded);
    const gurl = guarded.running.metricsUrl!;
    assert.equal((await fetch(gurl)).status, 401);
    await scrape(gurl, METRICS_TOKEN);
    await scrape(gurl, guarded.adminToken);
  });
});
