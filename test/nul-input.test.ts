// NUL characters in requests: PostgreSQL's text holds none, and a name, description, identifier,
// idempotency key or path parameter holding one was a 500 there on nearly every route (fuzzing,
// 2026-12-07). Each is now a 400 naming where it is; an event's data takes any JSON, NULs too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, engines, startService, type TestService } from './helpers/harness.ts';

const N = '\u0000';
const API = '/api/rest/2.0';

for (const engine of engines) {
  describe(`NUL characters in requests (${engine})`, () => {
    let svc: TestService;
    before(async () => {
      svc = await startService({ engine });
    });
    after(async () => {
      await svc?.close();
    });
    const send = (method: string, path: string, body?: unknown) => call(svc.baseUrl, method, path, { token: svc.adminToken, body });

    test('in a body, a path parameter or a query: a 400 naming it, on every route', async () => {
      const probes: [string, string, unknown, string][] = [
        ['POST', `${API}/orgs/create`, { name: `o${N}x` }, 'name'],
        ['POST', `${API}/orgs/create`, { name: 'nul-org', description: `d${N}` }, 'description'],
        ['POST', `${API}/webhooks/create`, { name: 'w1', url: 'https://example.com/', events: ['kpi.alert'], description: `d${N}` }, 'description'],
        ['POST', `${API}/webhooks/create`, { name: 'w1', url: 'https://example.com/', events: ['kpi.alert'], additional_headers: [{ key: 'X-A', value: `v${N}` }] }, 'additional_headers[0].value'],
        ['POST', `${API}/webhooks/search`, { webhook_identifier: `x${N}` }, 'webhook_identifier'],
        ['POST', `${API}/webhooks/search`, { org_identifier: `x${N}` }, 'org_identifier'],
        ['POST', `${API}/webhooks/a%00b/update`, { description: 'x' }, 'webhook_identifier'],
        ['POST', `${API}/users/search`, { user_identifier: `x${N}` }, 'user_identifier'],
        ['POST', `${API}/users/create`, { name: `u${N}`, display_name: 'x', password: 'password-123' }, 'name'],
        ['POST', `${API}/auth/token/full`, { username: `x${N}`, password: 'p' }, 'username'],
        ['POST', '/api/v1/events', { type: 'kpi.alert', data: {}, idempotency_key: `k${N}` }, 'idempotency_key'],
        ['POST', '/api/v1/events', { type: 'kpi.alert', data: {}, org_identifier: `k${N}` }, 'org_identifier'],
        ['POST', '/api/v1/events/batch', { events: [{ type: 'kpi.alert', data: {} }, { type: 'kpi.alert', data: {}, idempotency_key: `k${N}` }] }, 'events[1].idempotency_key'],
        ['GET', '/api/v1/dlq?webhook=a%00', undefined, 'webhook'],
        ['GET', '/api/v1/events/a%00/jobs', undefined, 'event_id'],
        ['POST', `${API}/jobs/history/communication-channels/search`, { channel_type: 'WEBHOOK', job_ids: [`a${N}`] }, 'job_ids[0]'],
        ['POST', `${API}/system/communication-channels/validate`, { channel_type: 'WEBHOOK', channel_identifier: `a${N}`, event_type: 'LIVEBOARD_SCHEDULE' }, 'channel_identifier'],
        ['POST', `${API}/orgs/create`, { [`na${N}me`]: 'x' }, `na${N}me`],
      ];
      for (const [method, path, body, field] of probes) {
        const res = await send(method, path, body);
        assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.body.error.field, field, res.text);
        assert.match(res.body.error.message, /must not contain NUL characters/);
      }
    });

    test("an event's data takes NULs: it is stored and sent as JSON, where they stay escapes", async () => {
      const one = await send('POST', '/api/v1/events', { type: 'kpi.alert', data: { note: `a${N}b`, [`k${N}`]: 1 } });
      assert.equal(one.status, 202, one.text);
      const batch = await send('POST', '/api/v1/events/batch', { events: [{ type: 'kpi.alert', data: { list: [`x${N}`] } }] });
      assert.equal(batch.status, 202, batch.text);
      // A string with an escaped backslash before "u0000" is no NUL.
      const lookalike = await send('POST', `${API}/orgs/create`, { name: 'back\\u0000slash' });
      assert.equal(lookalike.status, 200, lookalike.text);
    });
  });
}
