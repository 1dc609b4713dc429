// The outbound guard with its default (closed) setting, end to end: webhooks pointing at loopback,
// private, link-local (cloud metadata), IPv6 loopback and names resolving to loopback are never
// reached, and every such attempt fails with a detail that says it was refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines, type TestService } from './helpers/harness.ts';
import { eventually, startReceiver, type Receiver, startWithApi, stopWithApi, type Api } from './helpers/receiver.ts';

for (const engine of engines) {
  describe(`outbound guard, default settings (${engine})`, () => {
    let svc: TestService;
    let api: Api;
    let v4: Receiver;
    let v6: Receiver;
    let v4port: string;
    let v6port: string;

    before(async () => {
      // No HOOKRELAY_ALLOW_PRIVATE_TARGETS: the guard is closed.
      ({ svc, api } = await startWithApi(engine, { HOOKRELAY_RETRY_SCHEDULE: '0.1,0.1,0.1' }));
      v4 = await startReceiver({ status: 200 });
      v6 = await startReceiver({ status: 200 }, { host: '::1' });
      api.receivers.push(v4, v6);
      v4port = new URL(v4.url).port;
      v6port = new URL(v6.url).port;
    });
    after(async () => {
      await stopWithApi(svc, api);
    });

    test('loopback, private, metadata, [::1] and localhost targets are refused and never reached', async () => {
      const targets: Record<string, string> = {
        loopback: `http://127.0.0.1:${v4port}/hook`,
        private: 'http://10.0.0.1:9/hook', // refused before connecting: nothing listens there
        metadata: 'http://169.254.169.254/latest/meta-data/',
        ipv6Loopback: `http://[::1]:${v6port}/hook`,
        localhost: `http://localhost:${v4port}/hook`,
        // Other spellings of the same addresses.
        decimal: `http://2130706433:${v4port}/hook`,
        hex: `http://0x7f.1:${v4port}/hook`,
        mapped: `http://[::ffff:127.0.0.1]:${v4port}/hook`,
        // IPv4-compatible IPv6 (deprecated): ipaddr.js calls it unicast; it was let through.
        compatible: `http://[::127.0.0.1]:${v4port}/hook`,
        compatiblePrivate: 'http://[::10.0.0.1]:9/hook',
        unspecified: `http://0.0.0.0:${v4port}/hook`,
        cgnat: 'http://100.64.0.1:9/hook',
      };
      const hooks: Record<string, any> = {};
      for (const [what, url] of Object.entries(targets)) hooks[what] = await api.webhook(url, { events: ['kpi.alert'] });
      const id = await api.publish('kpi.alert', { probe: true });
      const jobs = await api.settled(id, Object.keys(targets).length, 15_000);
      for (const [what, hook] of Object.entries(hooks)) {
        const job = jobs.find((j) => j.webhook_id === hook.id);
        assert.equal(job?.status, 'FAILED', what);
        assert.match(job.detail, /refused/i, `${what}: ${job.detail}`);
        const attempts = await api.attempts(hook.id);
        assert.ok(attempts.length >= 1, what);
        for (const a of attempts) {
          assert.equal(a.status_code, null, what);
          assert.match(a.error, /refused/i, `${what}: ${a.error}`);
          // Refused before any connection: far quicker than a connect timeout would be.
          assert.ok(a.response_time_ms < 500, `${what}: took ${a.response_time_ms} ms`);
        }
      }
      const attempt = (await api.attempts(hooks.metadata.id))[0];
      assert.match(attempt.error, /169\.254\.169\.254/);
      assert.equal(v4.requests.length, 0, 'the IPv4 loopback receiver was never reached');
      assert.equal(v6.requests.length, 0, 'the IPv6 loopback receiver was never reached');
      await api.ok('POST', '/api/rest/2.0/webhooks/delete', { webhook_identifiers: Object.values(hooks).map((h) => h.id) });
    });

    test('the test endpoint and channel validation are guarded too', async () => {
      const hook = await api.webhook(`http://127.0.0.1:${v4port}/hook`, { events: ['kpi.computed'] });
      const res = await api.ok('POST', `/api/v1/webhooks/${hook.id}/test`, undefined, 202);
      await eventually(async () => (await api.jobs(res.event_id)).every((j) => j.status === 'FAILED'), { what: 'the test job to fail' });
      const check = await api.ok('POST', '/api/rest/2.0/system/communication-channels/validate', {
        channel_type: 'WEBHOOK', channel_identifier: hook.id, event_type: 'LIVEBOARD_SCHEDULE',
      });
      assert.equal(check.result_code, 'FAILED');
      assert.equal(check.details[0].http_status, null);
      assert.match(check.details[0].error_message, /refused/i);
      assert.equal(v4.requests.length, 0);
      await api.ok('POST', '/api/rest/2.0/webhooks/delete', { webhook_identifiers: [hook.id] });
    });

    test('an OAuth2 token URL on a private address is refused as well', async () => {
      const hook = await api.webhook('http://169.254.169.254/hook', {
        events: ['dashboard.ready'],
        authentication: { OAUTH2: { authorization_url: `http://127.0.0.1:${v4port}/token`, client_id: 'c', client_secret: 's' } },
      });
      const [job] = await api.settled(await api.publish('dashboard.ready', {}));
      assert.equal(job.status, 'FAILED');
      assert.match(job.detail, /refused/i);
      assert.equal(v4.requests.length, 0, 'the token URL was never reached');
      await api.ok('POST', '/api/rest/2.0/webhooks/delete', { webhook_identifiers: [hook.id] });
    });
  });
}
