// A webhook whose stored secret this process cannot open (the key is checked at start, so a value
// damaged since): its deliveries fail saying so and go through the retries to the dead-letter
// queue. They threw, and came back with their leases for ever (operator audit, 2026-12-08).
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, test } from 'node:test';
import { startWithApi, stopWithApi, type Api } from './helpers/receiver.ts';
import type { TestService } from './helpers/harness.ts';

let svc: TestService;
let api: Api;
before(async () => {
  ({ svc, api } = await startWithApi('sqlite', { HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32', HOOKRELAY_RETRY_SCHEDULE: '0.2,0.2' }));
});
after(async () => {
  await stopWithApi(svc, api);
});

test('a secret that cannot be decrypted: failed attempts that say so, then the dead-letter queue', async (t) => {
  const { rx, hook } = await api.endpoint(t, { status: 204 }, { signature_verification: { type: 'HMAC_SHA256', header: 'X-Sig', algorithm: 'SHA256', secret: 'a-signing-secret' } });
  const db = new Database(svc.databaseUrl);
  const row = db.prepare('SELECT signature_verification AS s FROM webhooks WHERE id = ?').get(hook.id) as { s: string };
  const sig = JSON.parse(row.s);
  // Another key's ciphertext of the same shape.
  sig.secret = 'v1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA:AAAA';
  db.prepare('UPDATE webhooks SET signature_verification = ? WHERE id = ?').run(JSON.stringify(sig), hook.id);
  db.close();
  // The worker keeps opened webhooks for a second.
  await new Promise((r) => setTimeout(r, 1100));
  const [job] = await api.settled(await api.publish('kpi.alert', {}), 1, 15_000);
  assert.equal(job.status, 'FAILED');
  assert.equal(job.try_count, 3);
  assert.match(job.detail, /the webhook's secrets cannot be decrypted with this process's key/);
  assert.equal(rx.requests.length, 0);
  assert.equal((await api.ok('GET', `/api/v1/dlq?webhook=${hook.id}`)).pagination.total, 1);
});
