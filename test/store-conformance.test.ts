// One suite, run unchanged against every storage engine: the Store interface's contract.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../src/store/index.ts';
import { ConflictError, type Store, type WebhookRow } from '../src/store/types.ts';
import { createTestDatabase, engines, type TestDatabase } from './helpers/databases.ts';

function webhook(orgId: number, name: string, events: string[], at = Date.now()): WebhookRow {
  return {
    id: crypto.randomUUID(),
    orgId,
    name,
    description: null,
    url: 'https://example.com/hook',
    urlParams: { a: '1' },
    events,
    authentication: { BEARER_TOKEN: 'sealed' },
    signatureVerification: null,
    storageDestination: null,
    additionalHeaders: [{ key: 'X-Team', value: 'data' }],
    createdAt: at,
    modifiedAt: at,
    createdBy: { id: 'u1', name: 'alice' },
    modifiedBy: null,
  };
}

const org = (id: number, name: string) => ({ id, name, description: null, status: 'ACTIVE' as const, visibility: 'SHOW' as const, createdAt: Date.now() });

for (const engine of engines) {
  describe(`store conformance: ${engine}`, () => {
    let db: TestDatabase;
    let store: Store;

    before(async () => {
      db = await createTestDatabase(engine);
      store = openStore(db.url);
      const applied = await store.migrate();
      assert.ok(applied.length >= 1, 'first migrate applies the migrations');
      await store.createOrg(org(0, 'Primary'));
      await store.createOrg(org(101, 'beta'));
    });

    after(async () => {
      await store.close();
      await db.drop();
    });

    test('migrate is idempotent and safe to run from two processes at once', async () => {
      const a = openStore(db.url);
      const b = openStore(db.url);
      const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
      assert.deepEqual([...ra, ...rb], []);
      await a.close();
      await b.close();
    });

    test('orgs: find by id or name, unique names, update, delete', async () => {
      assert.equal((await store.findOrg('0'))?.name, 'Primary');
      assert.equal((await store.findOrg('beta'))?.id, 101);
      assert.equal(await store.findOrg('nope'), null);
      await assert.rejects(store.createOrg(org(102, 'beta')), (e: unknown) => e instanceof ConflictError && e.constraint === 'org_name');
      const updated = await store.updateOrg(101, { description: 'second' });
      assert.equal(updated?.description, 'second');
      assert.equal(updated?.name, 'beta');
      await store.createOrg(org(103, 'gamma'));
      assert.equal(await store.deleteOrg(103), true);
      assert.equal(await store.deleteOrg(103), false);
      assert.deepEqual((await store.listOrgs()).map((o) => o.id), [0, 101]);
    });

    test('users: membership, unique names, lookup by id or name', async () => {
      const now = Date.now();
      const u = { id: crypto.randomUUID(), name: 'carol', displayName: 'Carol', email: null, passwordHash: 'x', privileges: ['DEVELOPER'], orgIds: [0, 101], createdAt: now, modifiedAt: now };
      await store.createUser(u);
      assert.deepEqual((await store.findUser('carol'))?.orgIds, [0, 101]);
      assert.equal((await store.findUser(u.id))?.name, 'carol');
      await assert.rejects(store.createUser({ ...u, id: crypto.randomUUID() }), (e: unknown) => e instanceof ConflictError && e.constraint === 'user_name');
      await store.setUserOrgs(u.id, [101]);
      assert.deepEqual((await store.findUser('carol'))?.orgIds, [101]);
      assert.equal(await store.countUsers(), 1);
      assert.deepEqual((await store.findUser('carol'))?.privileges, ['DEVELOPER']);
    });

    test('tokens: revoke one, revoke all of a user', async () => {
      const user = (await store.findUser('carol'))!;
      const now = Date.now();
      for (const hash of ['h1', 'h2']) await store.insertToken({ hash, userId: user.id, orgId: 101, createdAt: now, expiresAt: now + 60_000, revokedAt: null });
      assert.equal((await store.findToken('h1'))?.orgId, 101);
      assert.equal(await store.revokeToken('h1', now), true);
      assert.equal(await store.revokeToken('h1', now), false, 'a revoked token is not revoked twice');
      assert.equal(await store.revokeUserTokens(user.id, now), 1);
      assert.notEqual((await store.findToken('h2'))?.revokedAt, null);
    });

    test('webhooks: one LIVEBOARD_SCHEDULE webhook per org, unique names per org', async () => {
      await store.insertWebhook(webhook(0, 'lb', ['LIVEBOARD_SCHEDULE']));
      await assert.rejects(store.insertWebhook(webhook(0, 'lb2', ['LIVEBOARD_SCHEDULE', 'kpi.alert'])), (e: unknown) => e instanceof ConflictError && e.constraint === 'webhook_liveboard');
      assert.equal(await store.findWebhook(0, 'lb2'), null, 'the failed insert left nothing behind');
      await store.insertWebhook(webhook(101, 'lb', ['LIVEBOARD_SCHEDULE']));
      await assert.rejects(store.insertWebhook(webhook(0, 'lb', ['kpi.alert'])), (e: unknown) => e instanceof ConflictError && e.constraint === 'webhook_name');
    });

    test('webhooks: lookups are scoped to the org', async () => {
      const w = webhook(0, 'scoped', ['kpi.alert']);
      await store.insertWebhook(w);
      const found = await store.findWebhook(0, w.id);
      assert.deepEqual(found, w, 'round-trips every field');
      assert.equal((await store.findWebhook(0, 'scoped'))?.id, w.id);
      assert.equal(await store.findWebhook(101, w.id), null);
      assert.equal(await store.findWebhook(101, 'scoped'), null);
      assert.equal(await store.deleteWebhook(101, w.id), false);
      assert.ok(await store.findWebhook(0, w.id));
    });

    test('webhooks: search filters, sorts and pages', async () => {
      const base = Date.now() + 10_000;
      for (const [i, name] of ['delta', 'alpha', 'charlie', 'bravo'].entries()) {
        await store.insertWebhook(webhook(101, name, i % 2 ? ['kpi.alert', 'dashboard.ready'] : ['ingestion.failed'], base + i));
      }
      const byName = await store.searchWebhooks({ orgId: 101, sortField: 'NAME', sortOrder: 'ASC', offset: 0, limit: 100 });
      assert.deepEqual(byName.rows.map((r) => r.name), ['alpha', 'bravo', 'charlie', 'delta', 'lb']);
      assert.equal(byName.total, 5);
      const page2 = await store.searchWebhooks({ orgId: 101, sortField: 'CREATED', sortOrder: 'DESC', offset: 1, limit: 2 });
      assert.deepEqual(page2.rows.map((r) => r.name), ['charlie', 'alpha']);
      assert.equal(page2.total, 5);
      const alerts = await store.searchWebhooks({ orgId: 101, eventType: 'kpi.alert', sortField: 'NAME', sortOrder: 'DESC', offset: 0, limit: 10 });
      assert.deepEqual(alerts.rows.map((r) => r.name), ['bravo', 'alpha']);
      const one = await store.searchWebhooks({ orgId: 101, identifier: 'charlie', sortField: 'NAME', sortOrder: 'ASC', offset: 0, limit: 10 });
      assert.deepEqual(one.rows.map((r) => r.name), ['charlie']);
    });

    test('webhooks: update replaces fields and event subscriptions atomically', async () => {
      const w = webhook(0, 'mutable', ['kpi.computed']);
      await store.insertWebhook(w);
      const next = { ...w, name: 'mutated', events: ['LIVEBOARD_SCHEDULE'], modifiedAt: w.modifiedAt + 5, modifiedBy: { id: 'u2', name: 'bob' } };
      await assert.rejects(store.updateWebhook(next), (e: unknown) => e instanceof ConflictError && e.constraint === 'webhook_liveboard');
      assert.equal((await store.findWebhook(0, w.id))?.name, 'mutable', 'a rejected update changes nothing');
      const ok = { ...next, events: ['kpi.alert'] };
      assert.equal(await store.updateWebhook(ok), true);
      const after = await store.findWebhook(0, w.id);
      assert.equal(after?.name, 'mutated');
      assert.deepEqual(after?.modifiedBy, { id: 'u2', name: 'bob' });
      assert.deepEqual(after?.createdBy, w.createdBy);
      const hits = await store.searchWebhooks({ orgId: 0, eventType: 'kpi.computed', sortField: 'NAME', sortOrder: 'ASC', offset: 0, limit: 10 });
      assert.equal(hits.total, 0, 'old subscriptions are gone');
      assert.equal(await store.updateWebhook({ ...ok, orgId: 101 }), false, 'cannot update across orgs');
    });

    test('channel preferences: cluster, org override, reset', async () => {
      await store.setClusterPreferences([{ eventType: 'LIVEBOARD_SCHEDULE', channels: ['EMAIL'] }]);
      await store.setClusterPreferences([{ eventType: 'LIVEBOARD_SCHEDULE', channels: ['EMAIL', 'WEBHOOK'] }]);
      assert.deepEqual(await store.getClusterPreferences(), [{ eventType: 'LIVEBOARD_SCHEDULE', channels: ['EMAIL', 'WEBHOOK'] }]);
      await store.replaceOrgPreferences(101, [{ eventType: 'LIVEBOARD_SCHEDULE', channels: ['WEBHOOK'] }]);
      assert.deepEqual(await store.getOrgPreferences(101), [{ eventType: 'LIVEBOARD_SCHEDULE', channels: ['WEBHOOK'] }]);
      assert.deepEqual(await store.getOrgPreferences(0), []);
      await store.resetOrgPreferences(101, ['LIVEBOARD_SCHEDULE']);
      assert.deepEqual(await store.getOrgPreferences(101), []);
      await store.replaceOrgPreferences(101, [{ eventType: 'LIVEBOARD_SCHEDULE', channels: ['EMAIL'] }]);
      await store.resetOrgPreferences(101, null);
      assert.deepEqual(await store.getOrgPreferences(101), []);
    });

    test('deleting an org removes its webhooks', async () => {
      await store.createOrg(org(104, 'doomed'));
      const w = webhook(104, 'gone', ['LIVEBOARD_SCHEDULE']);
      await store.insertWebhook(w);
      await store.deleteOrg(104);
      assert.equal(await store.findWebhook(104, w.id), null);
    });
  });
}
