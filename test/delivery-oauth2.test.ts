// OAUTH2 authentication: client-credentials token fetched from authorization_url, cached across
// deliveries, fetched again once when the receiver answers 401.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { engines, type TestService } from './helpers/harness.ts';
import { startWithApi, stopWithApi, type Api } from './helpers/receiver.ts';

interface TokenServer { url: string; calls: URLSearchParams[]; current: () => string; close(): Promise<void> }

async function tokenServer(): Promise<TokenServer> {
  const calls: URLSearchParams[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      calls.push(form);
      if (form.get('client_secret') !== 'oauth-secret-1') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `tok-${calls.length}`, token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`,
    calls,
    current: () => `tok-${calls.length}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

for (const engine of engines) {
  describe(`OAuth2 delivery (${engine})`, () => {
    let svc: TestService;
    let api: Api;
    let tokens: TokenServer;

    before(async () => {
      ({ svc, api } = await startWithApi(engine, { HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32', HOOKRELAY_RETRY_SCHEDULE: '0.2,0.2,0.2' }));
      tokens = await tokenServer();
    });

    after(async () => {
      await api.closeReceivers();
      await tokens.close();
      await svc.close();
    });

    test('token fetched once for many deliveries, refreshed once on 401', async (t) => {
      let revoked = false;
      const { rx } = await api.endpoint(
        t,
        (r) => (revoked && r.headers.authorization === 'Bearer tok-1' ? { status: 401 } : r.headers.authorization === `Bearer ${tokens.current()}` ? { status: 204 } : { status: 403 }),
        { authentication: { OAUTH2: { authorization_url: tokens.url, client_id: 'client-a', client_secret: 'oauth-secret-1' } } },
      );
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await api.publish('kpi.alert', { i }));
      for (const id of ids) assert.equal((await api.settled(id))[0].status, 'SUCCESS');
      assert.equal(tokens.calls.length, 1, 'one token request for five deliveries');
      assert.equal(tokens.calls[0].get('grant_type'), 'client_credentials');
      assert.equal(tokens.calls[0].get('client_id'), 'client-a');
      assert.ok(rx.requests.every((r) => r.headers.authorization === 'Bearer tok-1'));

      revoked = true;
      const id = await api.publish('kpi.alert', { after: 'revocation' });
      const [job] = await api.settled(id);
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.try_count, 1, 'the refresh happens inside the same attempt');
      assert.equal(tokens.calls.length, 2);
      assert.equal(rx.requests.at(-1)!.headers.authorization, 'Bearer tok-2');
      const attempts = await api.attempts(job.webhook_id);
      assert.equal(attempts[0].request_headers.authorization, '******', 'the token is masked in the history');
    });

    test('a token endpoint that refuses the client fails the attempt with its reason', async (t) => {
      const { hook } = await api.endpoint(t, { status: 204 }, { authentication: { OAUTH2: { authorization_url: tokens.url, client_id: 'client-b', client_secret: 'wrong' } } });
      const id = await api.publish('kpi.alert', { x: 1 });
      const jobs = await api.settled(id, 1, 15_000);
      assert.equal(jobs[0].status, 'FAILED');
      assert.match(jobs[0].detail, /OAuth2 token request .* HTTP 401/);
      assert.equal(jobs[0].try_count, 4);
      assert.equal(jobs[0].webhook_id, hook.id);
    });
  });
}
