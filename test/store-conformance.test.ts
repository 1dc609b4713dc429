// One suite, run unchanged against every storage engine: the Store interface's contract.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { after, before, describe, test } from 'node:test';
import { newId } from '../src/domain/ids.ts';
import { eventJobId, newJob } from '../src/domain/jobs.ts';
import { openStore } from '../src/store/index.ts';
import { ConflictError, type AttemptRow, type Completion, type EventRow, type JobQuery, type JobRow, type PublishItem, type Store, type WebhookRow } from '../src/store/types.ts';
import { PUNCTUATION_IGNORING, createTestDatabase, engines, type Engine, type TestDatabase } from './helpers/databases.ts';

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

/** An event with a job per webhook, their ids derived from the event's as the API's publishes make them (or drawn, `ownIds`). */
function publishItem(orgId: number, webhookIds: string[], opts: { key?: string; at?: number; files?: number; ownIds?: boolean; timeId?: boolean } = {}): PublishItem {
  const at = opts.at ?? Date.now();
  // timeId: a UUIDv7 of `at`, as the API's publishes make them (time-ordered), instead of a random one.
  const event: EventRow = { id: `n.${opts.timeId ? newId(at) : crypto.randomUUID()}`, orgId, type: 'kpi.alert', payload: JSON.stringify({ n: Math.random() }), name: null, runId: null, recipients: null, attachments: [], createdAt: at };
  const attachments = Array.from({ length: opts.files ?? 0 }, (_, i) => ({ id: crypto.randomUUID(), fileName: `f${i}.csv`, contentType: 'text/csv', size: 3, data: Buffer.from(`a,${i}`) }));
  event.attachments = attachments.map(({ id, fileName, contentType, size }) => ({ id, fileName, contentType, size }));
  const jobs: JobRow[] = webhookIds.map((w, i) => ({
    id: opts.ownIds ? `n.${crypto.randomUUID()}` : eventJobId(event.id, i), kind: 'event', eventId: event.id, eventType: event.type, webhookId: w, orgId, status: 'PENDING', tryCount: 0, budgetStart: 0,
    nextAttemptAt: at, leaseOwner: null, leaseUntil: null, detail: null, lastStatus: null, createdAt: at, updatedAt: at,
  }));
  return { event, attachments, jobs, idempotencyKey: opts.key };
}

function attemptFor(j: JobRow, success: boolean, at = Date.now()): AttemptRow {
  return { id: crypto.randomUUID(), jobId: j.id, eventId: j.eventId, webhookId: j.webhookId, orgId: j.orgId, attemptNo: j.tryCount + 1, startedAt: at, durationMs: 3, statusCode: success ? 204 : 500, success, error: null, responseBody: 'ok', requestHeaders: { 'webhook-id': j.eventId } };
}

const org = (id: number, name: string) => ({ id, name, description: null, status: 'ACTIVE' as const, visibility: 'SHOW' as const, createdAt: Date.now() });

// SQLite runs three times: on the caller's thread, and on its own storage thread behind the proxy
// the service uses by default (every call, result and error crosses a thread there), both with its
// queue as an event log; and with a jobs row per delivery (HOOKRELAY_SQLITE_QUEUE=jobs).
// PostgreSQL runs with either layout too (HOOKRELAY_PG_QUEUE), the event log's on a database
// whose collation ignores punctuation (as glibc's en_US.UTF-8 does), the other's in C: the
// store's SQL must not assume a collation.
type Variant = { engine: Engine; thread: boolean; queue: 'log' | 'jobs'; pgOptions?: string };
const variants = engines.flatMap((engine): Variant[] =>
  engine === 'sqlite'
    ? [{ engine, thread: false, queue: 'log' }, { engine, thread: true, queue: 'log' }, { engine, thread: false, queue: 'jobs' }]
    : [{ engine, thread: false, queue: 'log', pgOptions: PUNCTUATION_IGNORING }, { engine, thread: false, queue: 'jobs' }],
);

for (const { engine, thread, queue, pgOptions } of variants) {
  describe(`store conformance: ${engine}${thread ? ' on a storage thread' : ''} with ${queue === 'jobs' ? 'jobs rows' : 'the event log'}${pgOptions ? ', punctuation-ignoring collation' : ''}`, () => {
    let db: TestDatabase;
    let store: Store;

    before(async () => {
      db = await createTestDatabase(engine, pgOptions);
      store = await openStore(db.url, { sqliteThread: thread, sqliteQueue: queue, pgQueue: queue });
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
      const a = await openStore(db.url, { sqliteThread: thread });
      const b = await openStore(db.url, { sqliteThread: thread });
      const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
      assert.deepEqual([...ra, ...rb], []);
      await a.close();
      await b.close();
    });

    test('orgs: find by id or name, unique names, update, delete', async () => {
      assert.equal((await store.findOrg('0'))?.name, 'Primary');
      assert.equal((await store.findOrg('beta'))?.id, 101);
      assert.equal(await store.findOrg('nope'), null);
      // An id as the API writes it, as orgs/search compares it ("00" was org 0 here, none there).
      assert.equal(await store.findOrg('00'), null);
      assert.equal(await store.findOrg('0101'), null);
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
      // An org deleted meanwhile (a concurrent delete): the write fails as a missing reference, not any error.
      await assert.rejects(store.updateUser({ ...u, orgIds: [404_404], modifiedAt: now + 1 }, now, true), (e: unknown) => e instanceof ConflictError && e.constraint === 'missing_reference');
      assert.equal(await store.updateUser({ ...u, orgIds: [101], modifiedAt: now + 1 }, now, true), 'updated');
      assert.deepEqual((await store.findUser('carol'))?.orgIds, [101]);
      assert.equal(await store.countUsers(), 1);
      assert.deepEqual((await store.findUser('carol'))?.privileges, ['DEVELOPER']);
    });

    test('users: updated only if unchanged since read (orgs only when asked, changes of orgs count), deleted with their tokens; the last administrator stays one', async () => {
      const now = Date.now();
      const u = { id: crypto.randomUUID(), name: 'dave', displayName: 'Dave', email: null, passwordHash: 'x', privileges: ['DEVELOPER'], orgIds: [0], createdAt: now, modifiedAt: now };
      await store.createUser(u);
      const next = { ...u, name: 'dave-2', displayName: 'Dave 2', email: 'd@example.com', passwordHash: 'y', privileges: ['ADMINISTRATION'], orgIds: [101], modifiedAt: now + 1 };
      await store.insertToken({ hash: `dave-old-${u.id}`, userId: u.id, orgId: 0, createdAt: now, expiresAt: now + 60_000, revokedAt: null });
      assert.equal(await store.updateUser(next, now, false), 'updated');
      assert.ok((await store.findToken(`dave-old-${u.id}`))?.revokedAt, 'a new password ends the sessions opened with the old one');
      const read = await store.findUser(u.id);
      assert.deepEqual({ ...read, orgIds: read?.orgIds }, { ...next, orgIds: [0] }, 'every field written, the orgs kept');
      assert.equal(await store.updateUser({ ...next, displayName: 'stale', modifiedAt: now + 2 }, now, true), 'changed', 'a write since the read');
      assert.equal((await store.findUser(u.id))?.displayName, 'Dave 2');
      assert.equal(await store.updateUser({ ...next, modifiedAt: now + 2 }, now + 1, true), 'updated');
      assert.deepEqual((await store.findUser(u.id))?.orgIds, [101]);
      await assert.rejects(store.updateUser({ ...next, name: 'carol', modifiedAt: now + 3 }, now + 2, false), (e: unknown) => e instanceof ConflictError && e.constraint === 'user_name');
      // The last user with ADMINISTRATION keeps it and stays; with another, it may go.
      assert.equal(await store.updateUser({ ...next, privileges: ['DEVELOPER'], modifiedAt: now + 3 }, now + 2, false), 'last_admin');
      assert.equal(await store.deleteUser(u.id), 'last_admin');
      assert.deepEqual((await store.findUser(u.id))?.privileges, ['ADMINISTRATION']);
      const other = { ...u, id: crypto.randomUUID(), name: 'erin', privileges: ['DEVELOPER', 'ADMINISTRATION'] };
      await store.createUser(other);
      await store.insertToken({ hash: `dave-${u.id}`, userId: u.id, orgId: 101, createdAt: now, expiresAt: now + 60_000, revokedAt: null });
      assert.equal(await store.deleteUser(u.id), 'deleted');
      assert.equal(await store.findUser(u.id), null);
      assert.equal(await store.findToken(`dave-${u.id}`), null, 'its tokens went with it');
      assert.equal(await store.deleteUser(u.id), 'missing');
      assert.equal(await store.updateUser({ ...next, modifiedAt: now + 4 }, now + 2, false), 'missing');
      // A change of its orgs changes the user: an update that read it before finds it changed.
      const readAt = (await store.findUser(other.id))!.modifiedAt;
      await store.changeOrgMembers(101, [other.id], 'ADD');
      assert.equal(await store.updateUser({ ...other, displayName: 'stale', modifiedAt: readAt + 1 }, readAt, true), 'changed');
      assert.deepEqual((await store.findUser(other.id))?.orgIds, [0, 101], 'the added org stays');
      await store.deleteUser(other.id);
    });

    test("orgs' members: added (twice is once), removed, replaced", async () => {
      const now = Date.now();
      const make = async (name: string, orgIds: number[]) => {
        const u = { id: crypto.randomUUID(), name, displayName: name, email: null, passwordHash: 'x', privileges: [], orgIds, createdAt: now, modifiedAt: now };
        await store.createUser(u);
        return u.id;
      };
      const [m1, m2, m3] = [await make('m1', [0]), await make('m2', []), await make('m3', [101])];
      const orgsOf = async (id: string) => (await store.findUser(id))!.orgIds;
      await store.changeOrgMembers(101, [m1, m2, m2], 'ADD');
      assert.deepEqual([await orgsOf(m1), await orgsOf(m2)], [[0, 101], [101]]);
      await store.changeOrgMembers(101, [m1], 'ADD');
      assert.deepEqual(await orgsOf(m1), [0, 101], 'already a member');
      await store.insertToken({ hash: `m1-in-101-${m1}`, userId: m1, orgId: 101, createdAt: now, expiresAt: now + 60_000, revokedAt: null });
      await store.insertToken({ hash: `m1-in-0-${m1}`, userId: m1, orgId: 0, createdAt: now, expiresAt: now + 60_000, revokedAt: null });
      await store.changeOrgMembers(101, [m1], 'REMOVE');
      assert.deepEqual(await orgsOf(m1), [0]);
      assert.ok((await store.findToken(`m1-in-101-${m1}`))?.revokedAt, 'its session in the org it left ended');
      assert.equal((await store.findToken(`m1-in-0-${m1}`))?.revokedAt, null, 'its session elsewhere stays');
      // m2 and m3 have no other org: a change leaving them in none changes nothing and names them.
      assert.deepEqual((await store.changeOrgMembers(101, [m1], 'REPLACE')).filter((n) => n !== 'carol').sort(), ['m2', 'm3']);
      assert.deepEqual([await orgsOf(m1), await orgsOf(m2), await orgsOf(m3)], [[0], [101], [101]], 'nothing changed');
      assert.deepEqual(await store.changeOrgMembers(101, [m3], 'REMOVE'), ['m3']);
      assert.deepEqual(await orgsOf(m3), [101]);
      await store.changeOrgMembers(0, [m2, m3, (await store.findUser('carol'))!.id], 'ADD');
      assert.deepEqual(await store.changeOrgMembers(101, [m1], 'REPLACE'), []);
      assert.deepEqual([await orgsOf(m1), await orgsOf(m2), await orgsOf(m3)], [[0, 101], [0], [0]], 'only m1 left in 101');
      await assert.rejects(store.changeOrgMembers(404_404, [m1], 'ADD'), (e: unknown) => e instanceof ConflictError && e.constraint === 'missing_reference');
    });

    test('tokens: revoke one, revoke all of a user', async () => {
      const user = (await store.findUser('carol'))!;
      const now = Date.now();
      for (const hash of ['h1', 'h2']) await store.insertToken({ hash, userId: user.id, orgId: 101, createdAt: now, expiresAt: now + 60_000, revokedAt: null });
      assert.equal((await store.findToken('h1'))?.orgId, 101);
      const session = await store.findSession('h1');
      assert.deepEqual(session?.token, await store.findToken('h1'), 'the session carries the token row');
      assert.deepEqual(session?.user, user, 'and the user with all its orgs');
      assert.deepEqual(session?.org, await store.findOrg('101'));
      assert.equal(await store.findSession('no-such-hash'), null);
      assert.equal(await store.revokeToken('h1', now), true);
      assert.equal(await store.revokeToken('h1', now), false, 'a revoked token is not revoked twice');
      assert.equal(await store.revokeUserTokens(user.id, now), 1);
      assert.notEqual((await store.findToken('h2'))?.revokedAt, null);
    });

    test('tokens: the expired ones are pruned, revoked or not; the live ones stay', async () => {
      const user = (await store.findUser('carol'))!;
      const now = Date.now();
      const token = (hash: string, expiresAt: number, revokedAt: number | null = null) => store.insertToken({ hash, userId: user.id, orgId: 101, createdAt: now - 120_000, expiresAt, revokedAt });
      await token('exp-1', now - 60_000);
      await token('exp-2', now - 1, now - 30_000);
      await token('exp-3', now - 50_000);
      await token('live', now + 60_000);
      await token('live-revoked', now + 60_000, now - 1_000);
      assert.equal(await store.pruneExpiredTokens(now, 2), 2, 'at most the limit');
      assert.equal(await store.pruneExpiredTokens(now, 100), 1);
      assert.equal(await store.pruneExpiredTokens(now, 100), 0);
      for (const gone of ['exp-1', 'exp-2', 'exp-3']) assert.equal(await store.findToken(gone), null, gone);
      assert.ok(await store.findSession('live'));
      assert.notEqual((await store.findToken('live-revoked'))?.revokedAt, null, 'revoked and not expired: kept, still revoked');
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
      await assert.rejects(store.updateWebhook(next, w.modifiedAt), (e: unknown) => e instanceof ConflictError && e.constraint === 'webhook_liveboard');
      assert.equal((await store.findWebhook(0, w.id))?.name, 'mutable', 'a rejected update changes nothing');
      const ok = { ...next, events: ['kpi.alert'] };
      assert.equal(await store.updateWebhook(ok, w.modifiedAt), 'updated');
      // Written over since it was read: nothing changes, the caller reads it again.
      assert.equal(await store.updateWebhook({ ...ok, description: 'stale' }, w.modifiedAt), 'changed');
      assert.equal((await store.findWebhook(0, w.id))?.description, ok.description);
      const after = await store.findWebhook(0, w.id);
      assert.equal(after?.name, 'mutated');
      assert.deepEqual(after?.modifiedBy, { id: 'u2', name: 'bob' });
      assert.deepEqual(after?.createdBy, w.createdBy);
      const hits = await store.searchWebhooks({ orgId: 0, eventType: 'kpi.computed', sortField: 'NAME', sortOrder: 'ASC', offset: 0, limit: 10 });
      assert.equal(hits.total, 0, 'old subscriptions are gone');
      assert.equal(await store.updateWebhook({ ...ok, orgId: 101 }, ok.modifiedAt), 'missing', 'cannot update across orgs');
    });

    test('channel preferences: cluster, org override, reset, in one transaction', async () => {
      const LB = 'LIVEBOARD_SCHEDULE';
      await store.configurePreferences({ cluster: [{ eventType: LB, channels: ['EMAIL'] }], orgs: [] });
      await store.configurePreferences({ cluster: [{ eventType: LB, channels: ['EMAIL', 'WEBHOOK'] }], orgs: [] });
      assert.deepEqual(await store.getClusterPreferences(), [{ eventType: LB, channels: ['EMAIL', 'WEBHOOK'] }]);
      await store.configurePreferences({ cluster: null, orgs: [{ orgId: 101, op: 'REPLACE', prefs: [{ eventType: LB, channels: ['WEBHOOK'] }] }] });
      assert.deepEqual(await store.getOrgPreferences(101), [{ eventType: LB, channels: ['WEBHOOK'] }]);
      assert.deepEqual(await store.getOrgPreferences(0), []);
      await store.configurePreferences({ cluster: null, orgs: [{ orgId: 101, op: 'RESET', eventTypes: [LB] }] });
      assert.deepEqual(await store.getOrgPreferences(101), []);
      await store.configurePreferences({ cluster: null, orgs: [{ orgId: 101, op: 'REPLACE', prefs: [{ eventType: LB, channels: ['EMAIL'] }] }, { orgId: 101, op: 'RESET', eventTypes: null }] });
      assert.deepEqual(await store.getOrgPreferences(101), [], 'in order: the reset after the replace');
      // All or nothing: a change that fails (an org deleted meanwhile) writes none of its parts.
      await assert.rejects(store.configurePreferences({ cluster: [{ eventType: LB, channels: ['WEBHOOK'] }], orgs: [{ orgId: 404_404, op: 'REPLACE', prefs: [{ eventType: LB, channels: ['EMAIL'] }] }] }));
      assert.deepEqual(await store.getClusterPreferences(), [{ eventType: LB, channels: ['EMAIL', 'WEBHOOK'] }], 'the cluster part was not written');
    });

    test('deleting an org removes its webhooks', async () => {
      await store.createOrg(org(104, 'doomed'));
      const w = webhook(104, 'gone', ['LIVEBOARD_SCHEDULE']);
      await store.insertWebhook(w);
      await store.deleteOrg(104);
      assert.equal(await store.findWebhook(104, w.id), null);
    });

    test('queue: a batch publish commits events, files and jobs; idempotency keys answer the first event', async () => {
      const hook = `q-${crypto.randomUUID()}`;
      const items = [publishItem(101, [hook]), publishItem(101, [hook, `${hook}-2`], { key: 'k1', files: 2 }), publishItem(101, [hook], { key: 'k1' })];
      const res = await store.publishEvents(items, 60_000);
      assert.deepEqual(res.map((r) => r.created), [true, true, false]);
      assert.equal(res[2].eventId, items[1].event.id, 'the same key in one batch answers the first event');
      assert.equal((await store.findEvents(101, items.map((i) => i.event.id))).length, 2);
      assert.deepEqual((await store.findEvents(0, [items[0].event.id])), [], 'another org does not see the event');
      const files = await store.getAttachmentData(items[1].event.id);
      assert.deepEqual(files.map((f) => f.data.toString()), ['a,0', 'a,1'], 'files come back in the order they were published');
      assert.ok(files.every((f) => Buffer.isBuffer(f.data)), 'file contents are Buffers');
      const { rows } = await store.searchJobs({ orgId: 101, webhookIds: [hook, `${hook}-2`], offset: 0, limit: 10, order: 'ASC' });
      assert.equal(rows.length, 3, 'the duplicate created no jobs');
      const again = await store.publishEvents([publishItem(101, [hook], { key: 'k1' })], 60_000);
      assert.deepEqual(again, [{ eventId: items[1].event.id, created: false }]);
      const expired = await store.publishEvents([publishItem(101, [hook], { key: 'k1', at: Date.now() + 120_000 })], 60_000);
      assert.equal(expired[0].created, true, 'an expired key is taken again');
    });

    test('queue: every column of published events, jobs and attempts comes back as written, whatever characters it holds', async () => {
      // PostgreSQL joins a batch's JSON columns into one text parameter (sql-queue.ts, JSON_SEP);
      // a batch with a value that cannot be joined goes the array way. Both must keep every value,
      // NULL apart from '', quotes, backslashes, control characters and emoji included.
      const json = '{"q":"a \\"quoted\\" \\\\ back\\\\slash, {brace}, (paren) NULL \\u001e é 🚀"}';
      const batches: { payload: string; name: string | null; error: string | null; body: string | null }[][] = [
        [{ payload: json, name: null, error: null, body: null }, { payload: '{}', name: '', error: '', body: '' }, { payload: '[1,{"a":[]}]', name: 'n,"x"', error: 'boom "x" \\', body: 'ok 🚀' }],
        [{ payload: 'x\x1ey', name: 'a', error: 'e', body: 'b' }, { payload: '{}', name: null, error: null, body: null }],
        [{ payload: '{}', name: '\x1f', error: null, body: 'b\x1e' }, { payload: '{}', name: 'x\x1fy', error: null, body: null }, { payload: '{}', name: '', error: '', body: null }],
        [{ payload: '{}', name: '', error: '', body: '' }],
      ];
      for (const batch of batches) {
        const hook = `p-${crypto.randomUUID()}`;
        const items = batch.map((b) => {
          const it = publishItem(102, [hook]);
          Object.assign(it.event, { payload: b.payload, name: b.name, runId: b.name });
          return it;
        });
        items[0].event.attachments = [{ id: 'a"1', fileName: 'r,"é".csv', contentType: 'text/csv', size: 1 }];
        await store.publishEvents(items, 60_000);
        const found = new Map((await store.findEvents(102, items.map((i) => i.event.id))).map((e) => [e.id, e]));
        for (const { event } of items) {
          const e = found.get(event.id);
          assert.deepEqual([e?.payload, e?.name, e?.runId, e?.attachments], [event.payload, event.name, event.runId, event.attachments]);
        }
        const { jobs } = await store.claimWithEvents({ owner: 'w-json', now: Date.now(), leaseMs: 60_000, limit: 100, excludeWebhookIds: [] });
        const mine = items.map((i) => jobs.find((j) => j.eventId === i.event.id)!);
        assert.ok(mine.every(Boolean), 'every job claimed');
        const headers: Record<string, string>[] = [{ 'x-sig': 'sha256="a\\b"', 'user-agent': 'HookRelay 🚀' }, {}, { sep: 'x\x1ey' }];
        const later = Date.now() + 60_000;
        await store.completeAttempts(mine.map((j, i) => ({
          attempt: { ...attemptFor(j, false), statusCode: i % 2 ? 500 : null, error: batch[i].error, responseBody: batch[i].body, requestHeaders: headers[i % 3] },
          owner: 'w-json',
          transition: i % 2 ? { status: 'RETRY' as const, nextAttemptAt: later, detail: batch[i].error ?? '' } : { status: 'FAILED' as const, nextAttemptAt: null, detail: batch[i].body ?? 'x' },
        })));
        for (const [i, j] of mine.entries()) {
          const a = await store.lastAttempt(j.id);
          assert.deepEqual([a?.statusCode, a?.error, a?.responseBody, a?.requestHeaders], [i % 2 ? 500 : null, batch[i].error, batch[i].body, headers[i % 3]]);
          const job = await store.findJob(102, j.id);
          assert.deepEqual([job?.status, job?.detail, job?.lastStatus, job?.nextAttemptAt], i % 2 ? ['RETRY', batch[i].error ?? '', 500, later] : ['FAILED', batch[i].body ?? 'x', null, j.nextAttemptAt]);
        }
      }
    });

    test('queue: many publishes at once all commit, each answered for its own events (PostgreSQL groups them)', async () => {
      const hook = `c-${crypto.randomUUID()}`;
      const calls = Array.from({ length: 60 }, (_, i) => Array.from({ length: 1 + (i % 3) }, () => publishItem(103, [hook])));
      const answers = await Promise.all(calls.map((items) => store.publishEvents(items, 60_000)));
      answers.forEach((a, i) => assert.deepEqual(a, calls[i].map((it) => ({ eventId: it.event.id, created: true }))));
      const ids = calls.flat().map((it) => it.event.id);
      assert.equal((await store.findEvents(103, ids)).length, ids.length);
      const { total } = await store.searchJobs({ orgId: 103, webhookIds: [hook], offset: 0, limit: 1, order: 'ASC' });
      assert.equal(total, ids.length, 'one job per event');
    });

    test('queue: a publish fan-out makes a PENDING job per webhook beside the rows given, in chunks past the parameter limit', async () => {
      const hook = `qf-${crypto.randomUUID()}`;
      // Not due before any other test's claims (their "now" is at most 2,000 s ahead).
      const at = Date.now() + 1_000_000_000;
      // Enough webhooks that SQLite needs several INSERT chunks (30,000 parameters / 16 columns).
      const hooks = Array.from({ length: 2500 }, (_, i) => `${hook}-${i}`);
      const given = publishItem(101, [`${hook}-given`], { at });
      given.jobs[0].leaseOwner = 'w-publisher';
      given.jobs[0].leaseUntil = at + 60_000;
      const shared = { kind: 'event' as const, webhookIds: hooks };
      const items = [{ ...given, fanout: shared }, { ...publishItem(101, [], { at }), fanout: shared }, { ...publishItem(101, [], { at, key: 'fk' }), fanout: shared }];
      const dup = { ...publishItem(101, [], { at, key: 'fk' }), fanout: shared };
      assert.deepEqual((await store.publishEvents([...items, dup], 60_000)).map((r) => r.created), [true, true, true, false]);
      const { rows, total } = await store.searchJobs({ orgId: 101, eventIds: items.map((i) => i.event.id), offset: 0, limit: 10_000, order: 'ASC' });
      assert.equal(total, 1 + 3 * hooks.length, 'one job per fan-out webhook and event, plus the given row; none for the duplicate');
      const made = rows.filter((j) => j.webhookId !== `${hook}-given`);
      assert.ok(made.every((j) => j.status === 'PENDING' && j.kind === 'event' && j.tryCount === 0 && j.leaseOwner === null && j.nextAttemptAt === at && j.createdAt === at && j.orgId === 101 && j.eventType === 'kpi.alert'));
      assert.equal(new Set(made.map((j) => j.id)).size, made.length, 'job ids are distinct');
      assert.ok(made.every((j) => /^n\.[0-9a-f-]{36}\.[0-9]+$/.test(j.id)), 'job ids have the shape of the ones the API makes: the event id, a dot, the place');
      for (const item of items) assert.deepEqual(made.filter((j) => j.eventId === item.event.id).map((j) => j.webhookId).sort(), [...hooks].sort());
      const kept = rows.find((j) => j.webhookId === `${hook}-given`)!;
      assert.equal(kept.id, given.jobs[0].id, 'a given row keeps its id');
      assert.equal(kept.leaseOwner, 'w-publisher', 'and its lease');
      // Delivered, so that later tests' claims find only their own jobs and these.
      for (;;) {
        const { jobs } = await store.claimWithEvents({ owner: 'w-drain', now: at + 1, leaseMs: 60_000, limit: 5000, excludeWebhookIds: [] });
        if (!jobs.length) break;
        await store.completeAttempts(jobs.map((j) => ({ attempt: attemptFor(j, true), owner: 'w-drain', transition: { status: 'SUCCESS' as const, nextAttemptAt: null, detail: '' } })));
      }
      assert.equal((await store.searchJobs({ orgId: 101, eventIds: items.map((i) => i.event.id), statuses: ['SUCCESS'], offset: 0, limit: 1, order: 'ASC' })).total, 3 * hooks.length);
    });

    test('queue: claims lease due jobs once, skip excluded webhooks, and take expired leases back', async () => {
      const a = `qa-${crypto.randomUUID()}`;
      const b = `qb-${crypto.randomUUID()}`;
      const now = Date.now() + 1_000_000; // later than every job of earlier tests: only these are due... and those
      const items = [publishItem(0, [a], { at: now - 10 }), publishItem(0, [a], { at: now - 9 }), publishItem(0, [b], { at: now - 8 }), publishItem(0, [b], { at: now + 60_000, ownIds: true })];
      await store.publishEvents(items, 60_000);
      const mine = (jobs: JobRow[]) => jobs.filter((j) => j.webhookId === a || j.webhookId === b);
      // Older due jobs of earlier tests may be claimed too; count only this test's.
      const first = mine(await store.claimDue({ owner: 'w1', now, leaseMs: 1000, limit: 1000, excludeWebhookIds: [a] }));
      assert.deepEqual(first.map((j) => j.webhookId), [b], 'excluded webhook skipped, future job not due');
      assert.equal(first[0].leaseOwner, 'w1');
      const claimed = await store.claimWithEvents({ owner: 'w2', now, leaseMs: 1000, limit: 1000, excludeWebhookIds: [] });
      const second = mine(claimed.jobs);
      assert.deepEqual(second.map((j) => j.webhookId), [a, a], 'leased job not claimed twice; oldest first');
      assert.deepEqual(
        // As text or, on SQLite, as the payload's bytes: the same JSON either way.
        second.map((j) => claimed.events.find((e) => e.id === j.eventId)?.payload.toString()),
        [items[0].event.payload, items[1].event.payload],
        'the claimed jobs come with their events',
      );
      assert.deepEqual(mine(await store.claimDue({ owner: 'w3', now, leaseMs: 1000, limit: 1000, excludeWebhookIds: [] })), []);
      const reclaimed = mine(await store.claimDue({ owner: 'w3', now: now + 1001, leaseMs: 1000, limit: 1000, excludeWebhookIds: [] }));
      assert.equal(reclaimed.length, 3, 'expired leases are claimable again');
      assert.ok(reclaimed.every((j) => j.leaseOwner === 'w3'));
      // The lease guard: w1 lost its job to w3, so its completion leaves history but no state.
      const [kept1, kept3] = await store.completeAttempts([
        { attempt: attemptFor(first[0], true), owner: 'w1', transition: { status: 'SUCCESS', nextAttemptAt: null, detail: '' } },
        { attempt: attemptFor(second[0], false), owner: 'w3', transition: { status: 'RETRY', nextAttemptAt: now + 5000, detail: 'HTTP 500' } },
      ]);
      assert.deepEqual([kept1, kept3], [false, true]);
      const j1 = await store.findJob(0, first[0].id);
      assert.equal(j1?.status, 'PENDING');
      assert.equal(j1?.leaseOwner, 'w3');
      const j3 = await store.findJob(0, second[0].id);
      assert.deepEqual([j3?.status, j3?.tryCount, j3?.nextAttemptAt, j3?.detail, j3?.lastStatus, j3?.leaseOwner], ['RETRY', 1, now + 5000, 'HTTP 500', 500, null]);
      assert.equal((await store.lastAttempt(first[0].id))?.statusCode, 204, 'the late attempt is still in the history');
      // Release hands back only the owner's leases.
      await store.releaseLeases('w1', [first[0].id]);
      assert.equal((await store.findJob(0, first[0].id))?.leaseOwner, 'w3');
      await store.releaseLeases('w3', reclaimed.map((j) => j.id));
      assert.ok((await Promise.all(reclaimed.map((j) => store.findJob(0, j.id)))).every((j) => j?.leaseOwner === null));
    });

    test('queue: FAILED jobs are requeued with a fresh budget, only in their org', async () => {
      const hook = `qr-${crypto.randomUUID()}`;
      const now = Date.now() + 2_000_000;
      const [item] = [publishItem(101, [hook], { at: now - 1 })];
      await store.publishEvents([item], 60_000);
      const [job] = (await store.claimDue({ owner: 'w', now, leaseMs: 1000, limit: 1000, excludeWebhookIds: [] })).filter((j) => j.webhookId === hook);
      await store.completeAttempt(attemptFor(job, false), 'w', { status: 'FAILED', nextAttemptAt: null, detail: 'HTTP 500' });
      assert.deepEqual(await store.requeueFailed(0, [job.id], now), [], 'another org cannot requeue it');
      assert.deepEqual(await store.requeueFailed(101, [job.id], now), [job.id]);
      const j = await store.findJob(101, job.id);
      assert.deepEqual([j?.status, j?.tryCount, j?.budgetStart], ['PENDING', 1, 1]);
      assert.deepEqual(await store.requeueFailed(101, [job.id], now), [], 'only FAILED jobs are requeued');
    });

    /** A store on a database of its own, migrated, with the Primary and beta orgs: for figures of the whole database. */
    const withOwnStore = async (use: (s: Store) => Promise<void>) => {
      const own = await createTestDatabase(engine, pgOptions);
      const s = await openStore(own.url, { sqliteThread: thread, sqliteQueue: queue, pgQueue: queue });
      try {
        await s.migrate();
        await s.createOrg(org(0, 'Primary'));
        await s.createOrg(org(101, 'beta'));
        await use(s);
      } finally {
        await s.close();
        await own.drop();
      }
    };

    test('key fingerprint: the first one stored stays; a webhook holding a sealed secret is found', () =>
      withOwnStore(async (s) => {
        assert.equal(await s.anyWebhookWithSecrets(), null);
        await s.insertWebhook({ ...webhook(0, 'plain', ['kpi.alert']), authentication: null });
        assert.equal(await s.anyWebhookWithSecrets(), null, 'no secret');
        const [a, b] = await Promise.all([s.keyFingerprint('fp-a'), s.keyFingerprint('fp-b')]);
        assert.equal(a, b, 'one of racing processes wins');
        assert.equal(await s.keyFingerprint('fp-c'), a);
        const sealed = { ...webhook(0, 'sealed', ['kpi.alert']), authentication: null, signatureVerification: { type: 'HMAC_SHA256', header: 'X-Sig', algorithm: 'SHA256', secret: 'v1:x:y:z' } };
        await s.insertWebhook(sealed);
        assert.equal((await s.anyWebhookWithSecrets())?.id, sealed.id);
      }));

    test('queue stats: waiting jobs and log events, the oldest due, dead letters (failed validations and other orgs\' requeues counted right)', () =>
      withOwnStore(async (s) => {
        const now = Date.now();
        assert.deepEqual(await s.queueStats(now), { dueJobs: 0, scheduledJobs: 0, oldestDueAt: null, deadLetters: 0 });
        const item = (orgId: number, ago: number, hook: string) => ({ ...publishItem(orgId, [], { at: now - ago, timeId: true }), fanout: { kind: 'event' as const, webhookIds: [hook] } });
        const [a, b, c] = [item(101, 60_000, 'w1'), item(0, 30_000, 'w1'), item(101, 20_000, 'w2')];
        await s.publishEvents([a], 60_000);
        await s.publishEvents([b, c], 60_000);
        // In the event log or as jobs rows, as the layout has them.
        assert.deepEqual(await s.queueStats(now), { dueJobs: 3, scheduledJobs: 0, oldestDueAt: now - 60_000, deadLetters: 0 });
        const { jobs } = await s.claimWithEvents({ owner: 'w-stats', now, leaseMs: 60_000, limit: 10, excludeWebhookIds: [] });
        assert.equal(jobs.length, 3);
        const transition = (j: JobRow) =>
          j.eventId === b.event.id
            ? { status: 'SUCCESS' as const, nextAttemptAt: null, detail: null }
            : j.eventId === a.event.id
              ? { status: 'FAILED' as const, nextAttemptAt: null, detail: 'HTTP 500' }
              : { status: 'RETRY' as const, nextAttemptAt: now + 60_000, detail: 'HTTP 500' };
        await s.completeAttempts(jobs.map((j) => ({ attempt: attemptFor(j, j.eventId === b.event.id, now), owner: 'w-stats', transition: transition(j) })));
        // A failed channel validation is not a dead letter.
        const validation = newJob('validation', { ...a.event, id: 'validation-w3' }, 'w3', now);
        await s.insertJobs([{ ...validation, status: 'FAILED' }]);
        assert.deepEqual(await s.queueStats(now), { dueJobs: 0, scheduledJobs: 1, oldestDueAt: null, deadLetters: 1 });
        // Its retry's time come: due since then.
        assert.deepEqual(await s.queueStats(now + 90_000), { dueJobs: 1, scheduledJobs: 0, oldestDueAt: now + 60_000, deadLetters: 1 });
        const failed = jobs.find((j) => transition(j).status === 'FAILED')!;
        assert.deepEqual(await s.requeueFailed(101, [failed.id], now), [failed.id]);
        assert.deepEqual(await s.queueStats(now), { dueJobs: 1, scheduledJobs: 1, oldestDueAt: now, deadLetters: 0 });
      }));

    test("history: a webhook's attempts page newest first with their count; the newest attempt of each of the org's webhooks", async () => {
      const hist = 202;
      await store.createOrg(org(hist, 'history'));
      const [a, b, quiet] = ['ha', 'hb', 'hquiet'].map((name) => webhook(hist, name, ['kpi.alert']));
      const other = webhook(0, `hist-other-${crypto.randomUUID()}`, ['kpi.alert']);
      for (const w of [a, b, quiet, other]) await store.insertWebhook(w);
      const now = Date.now() + 3_000_000;
      const items = [a, a, a, b, other].map((w, i) => publishItem(w.orgId, [w.id], { at: now + i }));
      await store.publishEvents(items, 60_000);
      const claimed = (await store.claimDue({ owner: 'w-hist', now: now + 10, leaseMs: 60_000, limit: 1000, excludeWebhookIds: [] })).filter((j) => [a, b, other].some((w) => w.id === j.webhookId));
      assert.equal(claimed.length, 5);
      // a's three attempts at now+100, +200, +200 (a tie), b's one at +50, the other org's at +900.
      const startedAt = new Map(items.map((it, i) => [it.event.id, now + [100, 200, 200, 50, 900][i]]));
      const attempts = claimed.map((j) => ({ ...attemptFor(j, j.webhookId !== b.id, startedAt.get(j.eventId)), id: `att-${startedAt.get(j.eventId)}-${j.eventId}` }));
      await store.completeAttempts(attempts.map((attempt) => ({ attempt, owner: 'w-hist', transition: { status: 'SUCCESS' as const, nextAttemptAt: null, detail: '' } })));

      const page1 = await store.searchAttempts({ orgId: hist, webhookId: a.id, offset: 0, limit: 2 });
      assert.equal(page1.total, 3);
      assert.deepEqual(page1.rows.map((r) => r.startedAt), [now + 200, now + 200]);
      const page2 = await store.searchAttempts({ orgId: hist, webhookId: a.id, offset: 2, limit: 2 });
      assert.deepEqual([page2.total, page2.rows.map((r) => r.startedAt)], [3, [now + 100]]);
      for (const [upTo, total] of [[1, 1], [2, 2], [3, 3], [10, 3]]) {
        const capped = await store.searchAttempts({ orgId: hist, webhookId: a.id, offset: 0, limit: 1, countUpTo: upTo });
        assert.deepEqual([capped.total, capped.rows.length], [total, 1], `counted up to ${upTo}`);
      }
      assert.deepEqual(await store.searchAttempts({ orgId: 0, webhookId: a.id, offset: 0, limit: 10 }), { rows: [], total: 0 }, "another org's read finds none of them");

      const latest = await store.latestAttemptPerWebhook(hist);
      const tied = attempts.filter((x) => x.webhookId === a.id && x.startedAt === now + 200).map((x) => x.id).sort();
      assert.deepEqual(
        latest.map((x) => [x.webhookId, x.id, x.success]).sort(),
        [[a.id, tied[0], true], [b.id, attempts.find((x) => x.webhookId === b.id)!.id, false]].sort(),
        'one per webhook with attempts (of a tie, the first by id); none for a webhook never delivered to, none of another org',
      );
      assert.deepEqual((await store.latestAttemptPerWebhook(hist, [b.id])).map((x) => x.webhookId), [b.id], 'of the webhooks named only');
      assert.deepEqual(await store.latestAttemptPerWebhook(hist, []), []);
    });

    test('history: every page of jobs is the slice of the whole history in its order, for each state, filter and direction', async () => {
      const hist = 303;
      await store.createOrg(org(hist, 'pages'));
      const [a, b] = ['pa', 'pb'].map((name) => webhook(hist, name, ['kpi.alert']));
      for (const w of [a, b]) await store.insertWebhook(w);
      const now = Date.now() + 4_000_000;
      const items = Array.from({ length: 12 }, (_, i) => publishItem(hist, [a.id, b.id], { at: now + (i % 4) }));
      await store.publishEvents(items, 60_000);
      // 20 of the 24 jobs attempted: SUCCESS, FAILED or RETRY in turn, their updated_at tied in
      // threes; the other 4 stay PENDING (the log's waiting jobs, or jobs rows).
      const claimed = (await store.claimDue({ owner: 'w-pages', now: now + 10, leaseMs: 60_000, limit: 1000, excludeWebhookIds: [] })).filter((j) => j.orgId === hist);
      assert.equal(claimed.length, 24);
      const kinds = ['SUCCESS', 'FAILED', 'RETRY'] as const;
      // One attempt started by a clock 10 minutes behind its event's: updated before created.
      const skewed = claimed[3];
      await store.completeAttempts(claimed.slice(0, 20).map((j, i) => ({
        attempt: { ...attemptFor(j, kinds[i % 3] === 'SUCCESS', j === skewed ? j.createdAt - 600_000 : now + 100 + Math.floor(i / 3)), durationMs: 0 },
        owner: 'w-pages',
        transition: { status: kinds[i % 3], nextAttemptAt: kinds[i % 3] === 'RETRY' ? now + 60_000 : null, detail: kinds[i % 3] === 'SUCCESS' ? '' : 'HTTP 500' },
      })));
      await store.releaseLeases('w-pages', claimed.slice(20).map((j) => j.id));

      // By state, and for given jobs or events (read through their ids instead).
      const some = [claimed[0], claimed[4], claimed[9], claimed[21]];
      const cases: Partial<JobQuery>[] = [
        {}, { statuses: ['FAILED'] }, { statuses: ['PENDING', 'SUCCESS'] }, { webhookIds: [b.id] }, { statuses: ['RETRY'], webhookIds: [a.id] },
        { jobIds: some.map((j) => j.id) }, { jobIds: some.map((j) => j.id), statuses: ['SUCCESS', 'PENDING'] },
        { eventIds: [items[0].event.id, items[7].event.id, items[11].event.id] }, { eventIds: [items[3].event.id], webhookIds: [b.id] },
        { since: skewed.createdAt }, { since: now + 2, statuses: ['SUCCESS', 'FAILED'] },
      ];
      const matches = (c: Partial<JobQuery>, j: JobRow) =>
        (!c.statuses || c.statuses.includes(j.status)) && (!c.webhookIds || c.webhookIds.includes(j.webhookId)) &&
        (!c.jobIds || c.jobIds.includes(j.id)) && (!c.eventIds || c.eventIds.includes(j.eventId)) && (c.since === undefined || j.createdAt >= c.since);
      for (const c of cases) {
        for (const order of ['ASC', 'DESC'] as const) {
          const q = { orgId: hist, ...c, order };
          const { rows: all, total } = await store.searchJobs({ ...q, offset: 0, limit: 1000 });
          assert.equal(total, all.length, JSON.stringify(q));
          const everything = (await store.listJobs({ orgId: hist, order, offset: 0, limit: 1000 })).filter((j) => matches(c, j));
          assert.deepEqual(all.map((j) => j.id), everything.map((j) => j.id), `the whole history's matches, in order: ${JSON.stringify(q)}`);
          assert.ok(all.length > 0, JSON.stringify(q));
          const key = (j: JobRow) => [j.updatedAt, j.id] as const;
          for (let i = 1; i < all.length; i++) {
            const [x, y] = [key(all[i - 1]), key(all[i])];
            const before = x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
            assert.equal(before, order === 'ASC', `in ${order} order: ${JSON.stringify(q)}`);
          }
          if (c.since === skewed.createdAt) assert.ok(all.some((j) => j.id === skewed.id), 'a job updated before it was created, by another clock, is still found since its creation');
          if (!Object.keys(c).length) {
            assert.equal(all.length, 24);
            assert.deepEqual(new Set(all.map((j) => j.status)), new Set(['SUCCESS', 'FAILED', 'RETRY', 'PENDING']));
          }
          for (const [offset, limit] of [[0, 1], [0, 5], [2, 3], [5, 7], [all.length - 1, 4], [all.length, 2]]) {
            const page = await store.listJobs({ ...q, offset, limit });
            assert.deepEqual(page.map((j) => j.id), all.slice(offset, offset + limit).map((j) => j.id), `${JSON.stringify(q)} at ${offset}+${limit}`);
          }
        }
      }
    });

    test('queue: concurrent transactions commit independently; one that fails leaves the others', async () => {
      const hook = `qc-${crypto.randomUUID()}`;
      const good = Array.from({ length: 20 }, () => publishItem(0, [hook]));
      const bad = publishItem(0, [hook], { ownIds: true });
      bad.jobs.push({ ...bad.jobs[0] }); // the same job id twice: a primary-key violation
      const results = await Promise.allSettled([...good.map((i) => store.publishEvents([i], 60_000)), store.publishEvents([bad], 60_000)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 20);
      assert.equal(results[20].status, 'rejected');
      assert.equal((await store.findEvents(0, good.map((i) => i.event.id))).length, 20);
      assert.equal(await store.findEvent(0, bad.event.id), null, 'the failed publish left nothing behind');
    });

    test('a column added by another process (a rolling upgrade) does not break statements already prepared', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await store.findOrg('beta'))?.id, 101);
      if (engine === 'postgres') {
        const other = new pg.Client({ connectionString: db.url });
        await other.connect();
        await other.query('ALTER TABLE orgs ADD COLUMN added_later TEXT');
        await other.end();
      } else {
        const other = new Database(db.url);
        other.exec('ALTER TABLE orgs ADD COLUMN added_later TEXT');
        other.close();
      }
      for (let i = 0; i < 3; i++) assert.equal((await store.findOrg('beta'))?.id, 101);
    });

    test('retention: events past the cutoff whose jobs are all over go with their attempts, jobs rows and attachments; the rest stays', async () => {
      const o = 505;
      await store.createOrg(org(o, 'retention'));
      const [w1, w2] = ['w-ret-1', 'w-ret-2'];
      const now = Date.now();
      const day = 24 * 3600 * 1000;
      const ok = { status: 'SUCCESS' as const, nextAttemptAt: null, detail: '' };
      const done = (jobs: JobRow[], transition: (j: JobRow) => Completion['transition']) =>
        store.completeAttempts(jobs.map((j) => ({ attempt: attemptFor(j, transition(j).status === 'SUCCESS', j.createdAt + 5), owner: 'w-ret', transition: transition(j) })));
      const claimOrg = async () => {
        const all = await store.claimDue({ owner: 'w-ret', now: now + 10, leaseMs: 60_000, limit: 1000, excludeWebhookIds: [] });
        await store.releaseLeases('w-ret', all.filter((j) => j.orgId !== o).map((j) => j.id));
        return all.filter((j) => j.orgId === o);
      };
      const old = (d: number, hooks: string[], files = 0) => publishItem(o, hooks, { at: now - d * day, timeId: true, files });
      const delivered = old(40, [w1, w2], 1);
      const dead = old(40, [w1]);
      const retrying = old(40, [w1]);
      const resent = old(39, [w1]);
      const recent = old(1, [w1]);
      await store.publishEvents([delivered, dead, retrying, resent, recent], 60_000);
      const first = await claimOrg();
      assert.equal(first.length, 6);
      const eventOf = (j: JobRow) => j.eventId;
      await done(first, (j) =>
        eventOf(j) === dead.event.id ? { status: 'FAILED', nextAttemptAt: null, detail: 'HTTP 410' }
          : eventOf(j) === retrying.event.id ? { status: 'RETRY', nextAttemptAt: now + 3_600_000, detail: 'HTTP 500' } : ok);
      // A resend of the old event (a job with an id of its own), delivered too.
      const resend = newJob('event', resent.event, w2, now - 38 * day);
      await store.insertJobs([resend]);
      await done(await claimOrg(), () => ok);
      // Published last, created 35 days ago: its job waits (in the event log, above the cursor).
      const waiting = old(35, [w1]);
      await store.publishEvents([waiting], 60_000);

      const r = await store.pruneHistory(now - 30 * day, 200);
      assert.deepEqual({ events: r.events, attempts: r.attempts }, { events: 3, attempts: 5 }, 'delivered (2 attempts), dead (1), resent (2)');
      for (const gone of [delivered, dead, resent]) assert.equal(await store.findEvent(o, gone.event.id), null);
      assert.deepEqual(await store.getAttachmentData(delivered.event.id), []);
      for (const kept of [retrying, recent, waiting]) assert.ok(await store.findEvent(o, kept.event.id), 'kept');
      const jobsLeft = (await store.listJobs({ orgId: o, offset: 0, limit: 100, order: 'ASC' })).map((j) => j.eventId);
      assert.deepEqual(new Set(jobsLeft), new Set([retrying.event.id, recent.event.id, waiting.event.id]), 'no job of a pruned event is left');
      assert.equal((await store.listJobs({ orgId: o, eventIds: [resent.event.id], offset: 0, limit: 10, order: 'ASC' })).length, 0);
      assert.equal((await store.searchAttempts({ orgId: o, webhookId: w2, offset: 0, limit: 10 })).total, 0, 'the resend\'s attempt went too');
      assert.deepEqual(await store.pruneHistory(now - 30 * day, 200), { events: 0, jobs: 0, attempts: 0 }, 'nothing more to prune');

      // Once the waiting job is delivered, its event goes as well; the retrying one stays.
      await done(await claimOrg(), () => ok);
      assert.equal((await store.pruneHistory(now - 30 * day, 200)).events, 1);
      assert.equal(await store.findEvent(o, waiting.event.id), null);
      assert.ok(await store.findEvent(o, retrying.event.id));
      // Within one batch size at a time, oldest first.
      const batch = Array.from({ length: 5 }, (_, i) => old(50 - i, [w1]));
      await store.publishEvents(batch, 60_000);
      await done(await claimOrg(), () => ok);
      assert.equal((await store.pruneHistory(now - 30 * day, 2)).events, 2);
      assert.equal(await store.findEvent(o, batch[0].event.id), null);
      assert.ok(await store.findEvent(o, batch[2].event.id));
    });

    test('retention: channel validations past the retention go with their attempts; younger ones stay', async () => {
      const o = 506;
      await store.createOrg(org(o, 'validations'));
      const now = Date.now();
      const day = 24 * 3600 * 1000;
      const hook = `w-val-${crypto.randomUUID()}`;
      // As validation.ts records one: a job with no event, leased to its check, and its attempt.
      const validate = async (daysAgo: number) => {
        const at = now - daysAgo * day;
        const job = { ...newJob('validation', { id: `validation-${hook}`, type: 'webhook.validation', orgId: o }, hook, at, `n.validation-${crypto.randomUUID()}`), leaseOwner: 'v', leaseUntil: at + 60_000 };
        await store.insertJobs([job]);
        await store.completeAttempt(attemptFor(job, true, at + 5), 'v', { status: 'SUCCESS', nextAttemptAt: null, detail: '' });
        return job;
      };
      const old = [await validate(40), await validate(31), await validate(35)];
      const young = await validate(1);
      const left = async () => (await store.listJobs({ orgId: o, kinds: ['validation'], offset: 0, limit: 100, order: 'ASC' })).map((j) => j.id);
      assert.equal((await left()).length, 4);
      assert.equal(await store.pruneValidations(now - 30 * day, 2), 2, 'at most the limit, oldest first');
      assert.deepEqual(new Set(await left()), new Set([old[1].id, young.id]));
      assert.equal(await store.pruneValidations(now - 30 * day, 100), 1);
      assert.deepEqual(await left(), [young.id]);
      assert.equal(await store.pruneValidations(now - 30 * day, 100), 0);
      assert.equal((await store.searchAttempts({ orgId: o, webhookId: hook, offset: 0, limit: 10 })).total, 1, 'only the young one\'s attempt is left');
    });

    test('retention: expired idempotency keys are deleted, live ones stay', async () => {
      const now = Date.now();
      const hook = `w-key-${crypto.randomUUID()}`;
      const ttl = 60_000;
      await store.publishEvents([publishItem(101, [hook], { key: 'ret-old', at: now - 2 * ttl }), publishItem(101, [hook], { key: 'ret-live', at: now })], ttl);
      assert.ok((await store.pruneIdempotencyKeys(now, 1000)) >= 1);
      const again = await store.publishEvents([publishItem(101, [hook], { key: 'ret-live', at: now + 1 })], ttl);
      assert.equal(again[0].created, false, 'the live key still holds');
      assert.equal(await store.pruneIdempotencyKeys(now, 1000), 0);
    });
  });
}
