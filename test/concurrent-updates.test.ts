// Updates of one webhook sent at the same moment (API fuzzing, 2026-12-07): each read the row,
// applied its own fields and wrote the whole row back, so the last write undid the others' fields
// (in 10 rounds of 10, and a rotated API key came back). Each now lands, or gets a 409.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { call, engines, startService, type TestService } from './helpers/harness.ts';

const API = '/api/rest/2.0';

for (const engine of engines) {
  describe(`concurrent webhook updates (${engine})`, () => {
    let svc: TestService;
    const post = (path: string, body?: unknown) => call(svc.baseUrl, 'POST', path, { token: svc.adminToken, body });

    before(async () => {
      svc = await startService({ engine, env: { HOOKRELAY_ALLOW_PRIVATE_TARGETS: 'true' } });
    });
    after(async () => {
      await svc.close();
    });

    test('updates of different fields at once all take effect, a rotated key included', async (t) => {
      // The key is masked in answers: a test send at the end shows which one was kept.
      const keys: string[] = [];
      const rx = http.createServer((req, res) => {
        keys.push(String(req.headers['x-api-key']));
        req.resume();
        res.writeHead(204).end();
      });
      await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
      t.after(() => rx.close());
      const created = await post(`${API}/webhooks/create`, {
        name: 'raced', url: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`, events: ['kpi.computed'],
        authentication: { API_KEY: { key: 'X-Api-Key', value: 'key-0' } },
      });
      assert.equal(created.status, 200, created.text);
      for (let round = 1; round <= 10; round++) {
        const answers = await Promise.all([
          post(`${API}/webhooks/raced/update`, { description: `d${round}` }),
          post(`${API}/webhooks/raced/update`, { url_params: { r: String(round) } }),
          post(`${API}/webhooks/raced/update`, { additional_headers: [{ key: 'X-Round', value: String(round) }] }),
          post(`${API}/webhooks/raced/update`, { authentication: { API_KEY: { key: 'X-Api-Key', value: `key-${round}` } } }),
        ]);
        assert.deepEqual(answers.map((a) => a.status), [204, 204, 204, 204], answers.map((a) => a.text).join(' '));
        const [hook] = (await post(`${API}/webhooks/search`, { webhook_identifier: 'raced' })).body.webhooks;
        assert.equal(hook.description, `d${round}`, `round ${round}: description`);
        assert.deepEqual(hook.url_params, { r: String(round) }, `round ${round}: url_params`);
        assert.deepEqual(hook.additional_headers, [{ key: 'X-Round', value: String(round) }], `round ${round}: additional_headers`);
      }
      assert.equal((await post('/api/v1/webhooks/raced/test')).status, 202);
      for (let i = 0; i < 200 && !keys.length; i++) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(keys, ['key-10'], 'the last rotation is the key sent');
    });
  });
}
