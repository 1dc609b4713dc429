// Retention rounds (src/services/retention.ts) on each engine's store: a long history goes in
// batches within one round (expired tokens and old channel validations too), the rest stays, and 0 days keeps everything.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { newId } from '../src/domain/ids.ts';
import { newJob } from '../src/domain/jobs.ts';
import { PRUNE_BATCH, Retention } from '../src/services/retention.ts';
import { openStore } from '../src/store/index.ts';
import type { Store } from '../src/store/types.ts';
import { createTestDatabase, engines, type TestDatabase } from './helpers/databases.ts';
import { item, success } from './helpers/event-log.ts';

const DAY = 24 * 3600 * 1000;
const log = pino({ level: 'silent' });

for (const engine of engines) {
  describe(`retention (${engine})`, () => {
    let db: TestDatabase;
    let store: Store;
    before(async () => {
      db = await createTestDatabase(engine);
      store = await openStore(db.url, {});
      await store.migrate();
    });
    after(async () => {
      await store.close();
      await db.drop();
    });

    test('a round prunes every delivered event past the retention, in batches; younger ones and 0 days keep theirs', async () => {
      const now = Date.now();
      // As the API publishes them: ids made at their time (UUIDv7).
      const at = (d: number) => {
        const i = item(['w1'], now - d * DAY);
        i.event.id = `n.${newId(i.event.createdAt)}`;
        return i;
      };
      const old = Array.from({ length: 2 * PRUNE_BATCH + 50 }, () => at(31));
      const young = Array.from({ length: 20 }, () => at(29));
      await store.publishEvents([...old, ...young], 60_000);
      for (;;) {
        const { jobs } = await store.claimWithEvents({ owner: 'r', now: now + 10, leaseMs: 60_000, limit: 500, excludeWebhookIds: [] });
        if (!jobs.length) break;
        await store.completeAttempts(jobs.map((j) => success(j, 'r')));
      }
      // Tokens expired (or not) by now: a sign-in's row was kept for ever before.
      await store.createUser({ id: 'u-ret', name: 'ret', displayName: 'ret', email: null, passwordHash: 'x', privileges: [], orgIds: [], createdAt: now, modifiedAt: now });
      for (let i = 0; i < PRUNE_BATCH + 5; i++) await store.insertToken({ hash: `expired-${i}`, userId: 'u-ret', orgId: 0, createdAt: now - 2 * DAY, expiresAt: now - DAY, revokedAt: null });
      await store.insertToken({ hash: 'live', userId: 'u-ret', orgId: 0, createdAt: now, expiresAt: now + DAY, revokedAt: null });
      // Channel validations (a job with no event each): kept for ever before.
      const validations = [31, 29].map((d) => newJob('validation', { id: 'validation-w1', type: 'webhook.validation', orgId: 0 }, 'w1', now - d * DAY, `n.validation-${d}`));
      await store.insertJobs(validations);
      assert.deepEqual(await new Retention(store, 0, log).runOnce(now), { events: 0, jobs: 0, attempts: 0, idempotencyKeys: 0, tokens: 0, validations: 0 }, '0 days: nothing');
      const totals = await new Retention(store, 30, log).runOnce(now);
      assert.deepEqual({ events: totals.events, attempts: totals.attempts, tokens: totals.tokens, validations: totals.validations }, { events: old.length, attempts: old.length, tokens: PRUNE_BATCH + 5, validations: 1 });
      assert.deepEqual((await store.listJobs({ orgId: 0, kinds: ['validation'], offset: 0, limit: 10, order: 'ASC' })).map((j) => j.id), ['n.validation-29']);
      assert.equal(await store.findToken('expired-0'), null);
      assert.ok(await store.findToken('live'));
      assert.equal((await store.findEvents(0, old.map((i) => i.event.id))).length, 0);
      assert.equal((await store.findEvents(0, young.map((i) => i.event.id))).length, young.length);
      assert.equal((await store.searchAttempts({ orgId: 0, webhookId: 'w1', offset: 0, limit: 1 })).total, young.length);
    });
  });
}
