// The OpenAPI document: valid enough to be read, and routes that need no token say so.
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

test('/openapi.json: public operations need no token (security []), the others the bearer token', async () => {
  const res = await call(svc.baseUrl, 'GET', '/openapi.json');
  assert.equal(res.status, 200);
  const doc = res.body;
  assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
  assert.deepEqual(doc.paths['/api/rest/2.0/auth/token/full'].post.security, []);
  assert.deepEqual(doc.paths['/api/v1/session'].post.security, []);
  assert.equal(doc.paths['/api/rest/2.0/webhooks/create'].post.security, undefined, 'the document-wide bearer token');
});
