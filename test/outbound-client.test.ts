// The sender and its HTTP client against what a delivery fuzzing round found (2026-12-07): a
// request the HTTP client refuses left a pooled connection marked busy, so that after 128 of
// them every delivery to that origin waited for ever (and held its worker slot); an OAuth2 token
// was shared by every webhook naming the same token URL and client id, whatever its secret; a
// token response's access_token was sent whatever it held.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DeadlineError } from '../src/delivery/http-client.ts';
import { Sender, type Target } from '../src/delivery/sender.ts';
import { parseAllowRule } from '../src/delivery/ssrf-guard.ts';

describe('outbound client', () => {
  let server: http.Server;
  let base: string;
  const seen: { path: string; authorization?: string }[] = [];
  let tokenAnswer: (secret: string) => Record<string, unknown> = (secret) => ({ access_token: `tok-for-${secret}`, expires_in: 3600 });
  let tokenCalls = 0;
  let sender: Sender;

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/token') {
          tokenCalls++;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokenAnswer(new URLSearchParams(body).get('client_secret') ?? '')));
          return;
        }
        seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sender = new Sender({ timeoutMs: 2000, allow: parseAllowRule('127.0.0.1/32'), userAgent: 'test', maxResponseBodyBytes: 1024 });
  });
  after(async () => {
    await sender.destroy();
    server.close();
  });

  const target = (over: Partial<Target>): Target => ({ id: 'w', url: `${base}/hook`, urlParams: null, authentication: null, signature: null, additionalHeaders: null, ...over });
  const out = { eventId: 'n.e1', payload: '{"a":1}' };

  test('an attempt ends by its deadline even when no connection of its origin ever frees', async () => {
    // Requests the client refuses (as a webhook stored with an "Expect" header made), straight to
    // the client: each marked one of the origin's 128 pooled connections busy for good. (A client
    // of its own: the others' origin stays usable.)
    const own = new Sender({ timeoutMs: 2000, allow: parseAllowRule('127.0.0.1/32'), userAgent: 'test', maxResponseBodyBytes: 1024 });
    try {
      const refused = await Promise.allSettled(Array.from({ length: 130 }, () => own.http.post(new URL(`${base}/x`), { expect: '100-continue' }, '{}', Date.now() + 1000)));
      assert.ok(refused.every((r) => r.status === 'rejected'));
      const started = Date.now();
      const last = await own.http.post(new URL(`${base}/x`), {}, '{}', Date.now() + 300).then(() => null, (err: unknown) => err);
      // Either sent (the client freed its connections) or cut off at its deadline: never left waiting.
      if (last !== null) assert.ok(last instanceof DeadlineError, String(last));
      assert.ok(Date.now() - started < 1500, `settled after ${Date.now() - started} ms`);
    } finally {
      await own.destroy();
    }
  });

  test('a stored webhook whose headers the client would refuse fails its attempt without a request', async () => {
    const before = seen.length;
    for (const additionalHeaders of [[{ key: 'Expect', value: '100-continue' }], [{ key: 'Upgrade', value: 'h2c' }], [{ key: 'X-A', value: 'a\u20acb' }]]) {
      const r = await sender.send(target({ url: `${base}/stored`, additionalHeaders }), out);
      assert.equal(r.statusCode, null);
      assert.match(r.error ?? '', /^refused: header "/, r.error ?? '');
      // The same on every try: the job fails at once instead of through the retry schedule.
      assert.equal(r.permanent, true);
    }
    const bearer = await sender.send(target({ url: `${base}/stored`, authentication: { BEARER_TOKEN: 'tok\r\nx' } }), out);
    assert.match(bearer.error ?? '', /^refused: header "authorization"/);
    assert.equal(bearer.permanent, true);
    assert.equal(seen.length, before, 'nothing was sent');
  });

  test("an OAuth2 token goes only to webhooks holding the secret that fetched it", async () => {
    const oauth = (secret: string) => ({ OAUTH2: { authorization_url: `${base}/token`, client_id: 'shared-client', client_secret: secret } });
    await sender.send(target({ url: `${base}/victim`, authentication: oauth('victim-secret') }), out);
    await sender.send(target({ url: `${base}/other`, authentication: oauth('wrong-secret') }), out);
    const auth = (path: string) => seen.filter((s) => s.path === path).map((s) => s.authorization);
    assert.deepEqual(auth('/victim'), ['Bearer tok-for-victim-secret']);
    assert.deepEqual(auth('/other'), ['Bearer tok-for-wrong-secret'], "not the victim's token");
  });

  test('an access_token that is not visible ASCII text fails the attempt; expires_in 0 is not kept for an hour', async () => {
    for (const access_token of [12345, { a: 1 }, 'tok\r\nx', 'tok\u20acn', '']) {
      tokenAnswer = () => ({ access_token, expires_in: 3600 });
      const r = await sender.send(target({ url: `${base}/odd`, authentication: { OAUTH2: { authorization_url: `${base}/token`, client_id: 'odd', client_secret: JSON.stringify(access_token) } } }), out);
      assert.match(r.error ?? '', /^authentication failed: .*no usable access_token/, JSON.stringify(access_token));
    }
    assert.equal(seen.filter((s) => s.path === '/odd').length, 0);
    tokenAnswer = () => ({ access_token: `short-${tokenCalls}`, expires_in: 0 });
    const calls = tokenCalls;
    const short = target({ url: `${base}/short`, authentication: { OAUTH2: { authorization_url: `${base}/token`, client_id: 'short', client_secret: 's' } } });
    await sender.send(short, out);
    await sender.send(short, out);
    assert.equal(tokenCalls - calls, 2, 'fetched for each attempt');
  });
});
