// The HTTP surface around the routes: request ids, unique across processes and restarts (they
// were req-1, req-2, ... per process), answered in X-Request-Id, the caller's own taken when it
// is a plain token; the OpenAPI document, whose operations that need no token say so.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, startService, type TestService } from './helpers/harness.ts';

let svc: TestService;
before(async () => {
  svc = await startService();
});
after(async () => {
  await svc.close();
});

test('X-Request-Id: a UUID per request, or the caller\'s plain token; on errors too', async () => {
  const a = await call(svc.baseUrl, 'GET', '/healthz');
  const b = await call(svc.baseUrl, 'GET', '/healthz');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(a.headers.get('x-request-id') ?? '', uuid);
  assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
  const mine = await call(svc.baseUrl, 'GET', '/healthz', { headers: { 'x-request-id': 'trace-42.a:b' } });
  assert.equal(mine.headers.get('x-request-id'), 'trace-42.a:b');
  const odd = await call(svc.baseUrl, 'GET', '/healthz', { headers: { 'x-request-id': 'has spaces and "quotes"' } });
  assert.match(odd.headers.get('x-request-id') ?? '', uuid, 'not a plain token: replaced');
  const refused = await call(svc.baseUrl, 'GET', '/api/v1/dlq', { headers: { 'x-request-id': 'trace-43' } });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('x-request-id'), 'trace-43');
});

test('/openapi.json: public operations need no token (security []), the others the bearer token', async () => {
  const res = await call(svc.baseUrl, 'GET', '/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.body;
  assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
  assert.deepEqual(doc.paths['/api/rest/2.0/auth/token/full'].post.security, []);
  assert.deepEqual(doc.paths['/api/v1/session'].post.security, []);
  assert.equal(doc.paths['/api/rest/2.0/webhooks/create'].post.security, undefined, 'the document-wide bearer token');
});
