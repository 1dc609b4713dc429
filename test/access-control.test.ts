// Raw-HTTP tests of authentication (401), privileges (403) and cross-org invisibility (404 /
// failed_webhooks / 403) of issue 2, on each engine.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { call, engines, startService, type TestService } from './helpers/harness.ts';

const API = '/api/rest/2.0';
const PREFS = '/system/preferences/communication-channels';
const LB_PREF = (channels: string[]) => ({ event_type: 'LIVEBOARD_SCHEDULE', channels });

for (const engine of engines) {
  describe(`access control (${engine})`, () => {
    let svc: TestService;
    let orgB: { id: number; name: string };
    const tok: Record<string, string> = {};
    const users: Record<string, any> = {};

    const post = (path: string, token: string | undefined, body?: unknown, headers?: Record<string, string>) =>
      call(svc.baseUrl, 'POST', `${API}${path}`, { token, body, headers });
    const login = async (username: string, password: string, extra: Record<string, unknown> = {}) => {
      const res = await call(svc.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username, password, ...extra } });
      assert.equal(res.status, 200, res.text);
      return res.body.token as string;
    };
    const makeUser = async (name: string, privileges: string[], orgs: string[] = ['0']) => {
      const res = await post('/users/create', svc.adminToken, { name, display_name: name.toUpperCase(), password: `${name}-password`, org_identifiers: orgs, privileges });
      assert.equal(res.status, 200, res.text);
      users[name] = res.body;
    };
    const search = async (token: string, body: Record<string, unknown> = {}) => {
      const res = await post('/webhooks/search', token, { record_size: -1, ...body });
      assert.equal(res.status, 200, res.text);
      return res.body.webhooks as any[];
    };
    const createHook = async (token: string, name: string) => {
      const res = await post('/webhooks/create', token, { name, url: 'https://example.com/in', events: ['kpi.alert'], description: 'orig' });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };

    before(async () => {
      svc = await startService({ engine });
      const b = await post('/orgs/create', svc.adminToken, { name: 'Org B', description: 'the other org' });
      assert.equal(b.status, 200, b.text);
      orgB = b.body;
      await makeUser('noprivs', []);
      await makeUser('dev', ['DEVELOPER']);
      await makeUser('appadmin', ['APPLICATION_ADMINISTRATION']);
      await makeUser('hooker', ['CAN_MANAGE_WEBHOOKS']);
      await makeUser('userb', ['CAN_MANAGE_WEBHOOKS'], [String(orgB.id)]);
      for (const u of ['noprivs', 'dev', 'appadmin', 'hooker']) tok[u] = await login(u, `${u}-password`);
      tok.userb = await login('userb', 'userb-password', { org_id: orgB.id });
    });
    after(async () => {
      await svc?.close();
    });

    describe('401', () => {
      const PROTECTED: [string, string, unknown][] = [
        ['POST', '/webhooks/create', { name: 'x', url: 'https://e.example/', events: ['kpi.alert'] }],
        ['POST', '/webhooks/search', {}],
        ['POST', '/webhooks/x/update', { description: 'd' }],
        ['POST', '/webhooks/delete', { webhook_identifiers: ['x'] }],
        ['POST', '/orgs/create', { name: 'Sneaky' }],
        ['POST', '/orgs/search', {}],
        ['POST', '/users/create', { name: 'sneaky', display_name: 's', password: 'sneaky-pass' }],
        ['POST', '/users/search', {}],
        ['POST', `${PREFS}/configure`, { cluster_preferences: [LB_PREF(['WEBHOOK'])] }],
        ['POST', `${PREFS}/search`, {}],
        ['POST', '/auth/token/validate', { token: 'x' }],
        ['POST', '/auth/token/revoke', {}],
        ['GET', '/auth/session/user', undefined],
      ];
      const cases: [string, Record<string, string>][] = [
        ['no Authorization', {}],
        ['a garbage bearer token', { authorization: 'Bearer not-a-real-token' }],
        ['a non-Bearer scheme', { authorization: `Basic ${Buffer.from('admin:admin-password-1').toString('base64')}` }],
      ];
      for (const [what, headers] of cases) {
        test(`every protected endpoint answers 401 with ${what}`, async () => {
          for (const [method, path, body] of PROTECTED) {
            const res = await call(svc.baseUrl, method, `${API}${path}`, { body, headers });
            assert.equal(res.status, 401, `${method} ${path}: ${res.text}`);
            assert.equal(typeof res.body?.error?.message, 'string');
          }
          const orgs = await post('/orgs/search', svc.adminToken, { org_identifier: 'Sneaky' });
          assert.deepEqual(orgs.body, []);
        });
      }

      test('an expired token is 401', async () => {
        const t = await login('dev', 'dev-password', { validity_time_in_sec: 1 });
        assert.equal((await call(svc.baseUrl, 'GET', `${API}/auth/session/user`, { token: t })).status, 200);
        await sleep(1200);
        assert.equal((await call(svc.baseUrl, 'GET', `${API}/auth/session/user`, { token: t })).status, 401);
        assert.equal((await post('/webhooks/search', t, {})).status, 401);
      });

      test('a revoked token is 401; the user\'s other tokens still work', async () => {
        const t1 = await login('dev', 'dev-password');
        const t2 = await login('dev', 'dev-password');
        assert.equal((await post('/webhooks/search', t1, {})).status, 200);
        const rev = await post('/auth/token/revoke', t2, { token: t1 });
        assert.equal(rev.status, 204, rev.text);
        assert.equal((await post('/webhooks/search', t1, {})).status, 401);
        assert.equal((await post('/webhooks/search', t2, {})).status, 200);
        // Revoking without a body revokes the calling token.
        assert.equal((await post('/auth/token/revoke', t2, {})).status, 204);
        assert.equal((await post('/webhooks/search', t2, {})).status, 401);
      });
    });

    describe('403', () => {
      test('a user without privileges gets 403 on every webhooks endpoint and changes nothing', async () => {
        const w = await createHook(svc.adminToken, 'guarded');
        const t = tok.noprivs;
        for (const [path, body] of [
          ['/webhooks/create', { name: 'np', url: 'https://e.example/', events: ['kpi.alert'] }],
          ['/webhooks/search', {}],
          [`/webhooks/${w.id}/update`, { description: 'hacked' }],
          ['/webhooks/delete', { webhook_identifiers: [w.id] }],
        ] as const) {
          const res = await post(path, t, body);
          assert.equal(res.status, 403, `${path}: ${res.text}`);
          assert.equal(typeof res.body?.error?.message, 'string');
        }
        const [still] = await search(svc.adminToken, { webhook_identifier: w.id });
        assert.equal(still?.description, 'orig');
        assert.equal((await search(svc.adminToken, { webhook_identifier: 'np' })).length, 0);
      });

      test('DEVELOPER manages webhooks but gets 403 on channel preferences', async () => {
        await createHook(tok.dev, 'dev-hook');
        assert.equal((await post(`${PREFS}/search`, tok.dev, {})).status, 403);
        const res = await post(`${PREFS}/configure`, tok.dev, { org_preferences: [{ org_identifier: '0', operation: 'REPLACE', preferences: [LB_PREF(['WEBHOOK'])] }] });
        assert.equal(res.status, 403, res.text);
      });

      test('CAN_MANAGE_WEBHOOKS creates webhooks but cannot administer', async () => {
        const w = await createHook(tok.hooker, 'hooker-hook');
        assert.equal(w.created_by?.name, 'hooker');
        assert.equal((await post('/orgs/create', tok.hooker, { name: 'Hooker Org' })).status, 403);
        assert.equal((await post('/users/create', tok.hooker, { name: 'h2', display_name: 'h2', password: 'h2-password' })).status, 403);
        assert.equal((await post(`${PREFS}/search`, tok.hooker, {})).status, 403);
      });

      test('APPLICATION_ADMINISTRATION configures its own org, 403 on cluster level and on another org', async () => {
        const t = tok.appadmin;
        const own = await post(`${PREFS}/configure`, t, { org_preferences: [{ org_identifier: 'Primary', operation: 'REPLACE', preferences: [LB_PREF(['EMAIL', 'WEBHOOK'])] }] });
        assert.equal(own.status, 204, own.text);
        const mine = await post(`${PREFS}/search`, t, { org_preferences: [{ org_identifier: '0' }] });
        assert.equal(mine.status, 200, mine.text);
        assert.deepEqual(mine.body.org_preferences[0].preferences, [LB_PREF(['EMAIL', 'WEBHOOK'])]);

        const cluster = await post(`${PREFS}/configure`, t, { cluster_preferences: [LB_PREF(['WEBHOOK'])] });
        assert.equal(cluster.status, 403, cluster.text);
        const other = await post(`${PREFS}/configure`, t, { org_preferences: [{ org_identifier: String(orgB.id), operation: 'REPLACE', preferences: [LB_PREF(['WEBHOOK'])] }] });
        assert.equal(other.status, 403, other.text);
        assert.equal((await post(`${PREFS}/search`, t, { org_preferences: [{ org_identifier: orgB.name }] })).status, 403);
        // Nothing was written by the refused calls.
        const check = await post(`${PREFS}/search`, svc.adminToken, { cluster_preferences: [], org_preferences: [{ org_identifier: orgB.name }] });
        assert.equal(check.status, 200, check.text);
        assert.deepEqual(check.body.cluster_preferences, []);
        assert.deepEqual(check.body.org_preferences[0].preferences, []);
        // And webhooks are not theirs to manage.
        assert.equal((await post('/webhooks/search', t, {})).status, 403);
      });
    });

    describe('cross-org invisibility', () => {
      let p1: any; // Primary, same name as B's webhook
      let p2: any; // Primary only
      let b1: any; // org B
      before(async () => {
        p1 = await createHook(svc.adminToken, 'shared-name');
        p2 = await createHook(svc.adminToken, 'primary-only');
        b1 = await createHook(tok.userb, 'shared-name');
      });

      test('names are unique per org only; each webhook carries its org', () => {
        assert.notEqual(b1.id, p1.id);
        assert.deepEqual(b1.org, { id: String(orgB.id), name: orgB.name });
        assert.deepEqual(p1.org, { id: '0', name: 'Primary' });
      });

      test('B searches see only B\'s webhooks', async () => {
        const all = await post('/webhooks/search', tok.userb, {});
        assert.deepEqual(all.body.webhooks.map((w: any) => w.id), [b1.id]);
        assert.equal(all.body.pagination.total_count, 1);
        for (const id of [p1.id, p2.id, 'primary-only']) assert.deepEqual(await search(tok.userb, { webhook_identifier: id }), [], id);
        assert.deepEqual((await search(tok.userb, { webhook_identifier: 'shared-name' })).map((w) => w.id), [b1.id]);
        const primary = await search(svc.adminToken);
        assert.ok(primary.some((w) => w.id === p1.id));
        assert.ok(!primary.some((w) => w.id === b1.id), 'B\'s webhook visible in Primary');
      });

      test('B cannot update Primary\'s webhook: not found (a 400 the SDK reads) and it stays intact', async () => {
        for (const id of [p1.id, p2.id, 'primary-only']) {
          const res = await post(`/webhooks/${encodeURIComponent(id)}/update`, tok.userb, { description: 'from B', url: 'https://evil.example/' });
          assert.equal(res.status, 400, `${id}: ${res.text}`);
          assert.equal(res.body.error.code, 'NOT_FOUND');
          assert.ok(!res.text.includes('https://example.com/in'));
        }
        // By the shared name, B reaches only its own webhook.
        assert.equal((await post('/webhooks/shared-name/update', tok.userb, { description: 'B edit' })).status, 204);
        assert.equal((await search(tok.userb, { webhook_identifier: b1.id }))[0].description, 'B edit');
        for (const w of [p1, p2]) assert.deepEqual((await search(svc.adminToken, { webhook_identifier: w.id }))[0], w);
      });

      test('B cannot delete Primary\'s webhook: failed_webhooks and it stays', async () => {
        const res = await post('/webhooks/delete', tok.userb, { webhook_identifiers: [p1.id, 'primary-only'] });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.deleted_webhooks.length, 0);
        assert.equal(res.body.failed_webhooks.length, 2);
        for (const f of res.body.failed_webhooks) assert.equal(typeof f.error, 'string');
        assert.ok(!res.text.includes('https://example.com/in'), 'Primary webhook details leaked');
        assert.equal((await search(svc.adminToken, { webhook_identifier: p1.id })).length, 1);
        assert.equal((await search(svc.adminToken, { webhook_identifier: p2.id })).length, 1);
        assert.equal((await search(tok.userb, { webhook_identifier: b1.id })).length, 1);
      });

      test('B naming Primary (or any other org) in search gets 403; naming its own org works', async () => {
        for (const org of ['0', 'Primary']) {
          const res = await post('/webhooks/search', tok.userb, { org_identifier: org });
          assert.equal(res.status, 403, `${org}: ${res.text}`);
          assert.equal(res.body?.webhooks, undefined);
        }
        // A non-existent org answers the same as an existing one: no existence leak.
        assert.equal((await post('/webhooks/search', tok.userb, { org_identifier: 'Ghost Org' })).status, 403);
        assert.deepEqual((await search(tok.userb, { org_identifier: orgB.name })).map((w) => w.id), [b1.id]);
        assert.deepEqual((await search(tok.userb, { org_identifier: String(orgB.id) })).map((w) => w.id), [b1.id]);
      });

      test('an administrator naming B sees B\'s webhooks', async () => {
        for (const org of [String(orgB.id), orgB.name]) {
          const found = await search(svc.adminToken, { org_identifier: org });
          assert.deepEqual(found.map((w) => w.id), [b1.id], org);
          assert.deepEqual(found[0].org, { id: String(orgB.id), name: orgB.name });
        }
        assert.equal((await post('/webhooks/search', svc.adminToken, { org_identifier: 'Ghost Org' })).body.error.code, 'NOT_FOUND');
      });

      test('B does not see Primary in orgs/search nor Primary\'s users', async () => {
        const orgs = await post('/orgs/search', tok.userb, {});
        assert.equal(orgs.status, 200, orgs.text);
        assert.deepEqual(orgs.body.map((o: any) => o.id), [orgB.id]);
        const us = await post('/users/search', tok.userb, {});
        assert.equal(us.status, 200, us.text);
        assert.deepEqual(us.body.map((u: any) => u.name), ['userb']);
      });

      test("B sees a fellow member's other orgs only if B belongs to them too; name_pattern's % is a wildcard", async () => {
        const c = await post('/orgs/create', svc.adminToken, { name: 'Org C' });
        assert.equal(c.status, 200, c.text);
        await makeUser('bothbc', ['DEVELOPER'], [String(orgB.id), String(c.body.id)]);
        const seen = await post('/users/search', tok.userb, { user_identifier: 'bothbc' });
        assert.equal(seen.status, 200, seen.text);
        assert.deepEqual(seen.body.map((u: any) => u.orgs), [[{ id: orgB.id, name: orgB.name }]], 'Org C is not shown to B');
        const byAdmin = await post('/users/search', svc.adminToken, { user_identifier: 'bothbc' });
        assert.equal(byAdmin.body[0].orgs.length, 2, 'an administrator sees both');
        const names = async (name_pattern: string) => (await post('/users/search', svc.adminToken, { name_pattern })).body.map((u: any) => u.name).sort();
        assert.deepEqual(await names('%B'), ['userb'], 'ends with b (case-insensitive)');
        assert.deepEqual(await names('user%'), ['userb']);
        assert.deepEqual(await names('%both%'), ['bothbc']);
        assert.deepEqual(await names('oth'), ['bothbc'], 'without %: anywhere in the name');
      });

      test('users/search filters and sorts by every field it takes; users/create refuses what HookRelay users cannot be', async () => {
        const names = async (body: Record<string, unknown>) => {
          const res = await post('/users/search', svc.adminToken, body);
          assert.equal(res.status, 200, res.text);
          return res.body.map((u: any) => u.name);
        };
        assert.deepEqual(await names({ display_name: 'userb' }), ['userb'], 'display names are the upper-cased names here');
        for (const filter of [{ account_status: 'INACTIVE' }, { visibility: 'NON_SHARABLE' }, { account_type: 'SAML_USER' }, { group_identifiers: ['g'] }, { privileges: ['AUTHORING'] }]) {
          assert.deepEqual(await names(filter), [], JSON.stringify(filter));
        }
        const all = await names({});
        assert.deepEqual(await names({ account_status: 'ACTIVE', account_type: 'LOCAL_USER', visibility: 'SHARABLE' }), all);
        assert.deepEqual(await names({ sort_options: { field_name: 'NAME', order: 'DESC' } }), [...all].reverse());
        assert.deepEqual(await names({ sort_options: { field_name: 'CREATED', order: 'ASC' } }).then((n: string[]) => n.slice(-2)), ['userb', 'bothbc'], 'newest last');
        assert.equal((await post('/users/search', svc.adminToken, { account_status: 'NOPE' })).status, 400);
        const create = (extra: Record<string, unknown>) => post('/users/create', svc.adminToken, { name: `x-${Math.random().toString(36).slice(2)}`, display_name: 'X', password: 'x-password-1', ...extra });
        for (const extra of [{ account_type: 'SAML_USER' }, { account_status: 'INACTIVE' }, { visibility: 'NON_SHARABLE' }, { group_identifiers: ['g'] }, { display_name: '   ' }]) {
          assert.equal((await create(extra)).status, 400, JSON.stringify(extra));
        }
        assert.equal((await create({ account_type: 'LOCAL_USER', account_status: 'ACTIVE', visibility: 'SHARABLE' })).status, 200);
      });

      test("an administrator changes an org's members with orgs/update (ADD, REMOVE, REPLACE); they were accepted and ignored", async () => {
        const update = (body: Record<string, unknown>) => post(`/orgs/${orgB.id}/update`, svc.adminToken, body);
        const tokenInB = (name: string) => call(svc.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: name, password: `${name}-password`, org_id: orgB.id } });
        assert.equal((await tokenInB('dev')).status, 401, 'not a member yet');
        assert.equal((await update({ user_identifiers: ['dev'] })).status, 204, 'ADD by default');
        assert.equal((await tokenInB('dev')).status, 200);
        assert.equal((await update({ user_identifiers: [users.dev.id], operation: 'REMOVE' })).status, 204);
        assert.equal((await tokenInB('dev')).status, 401);
        assert.equal((await update({ user_identifiers: ['userb', 'dev'], operation: 'REPLACE' })).status, 204);
        const members = (await post('/users/search', svc.adminToken, { org_identifiers: [String(orgB.id)] })).body.map((u: any) => u.name).sort();
        assert.deepEqual(members, ['dev', 'userb'], 'REPLACE left only those named');
        const unknown = await update({ user_identifiers: ['dev', 'nobody'], operation: 'REMOVE' });
        assert.equal(unknown.status, 400);
        assert.equal(unknown.body.error.code, 'NOT_FOUND');
        assert.equal(unknown.body.error.field, 'user_identifiers[1]');
        assert.equal((await tokenInB('dev')).status, 200, 'an unknown user changes nothing');
        assert.equal((await update({ group_identifiers: ['g'] })).status, 400);
        assert.equal((await update({ operation: 'ADD' })).status, 400, 'an operation without users');
        assert.equal((await update({ description: null })).status, 204, 'a description can be cleared');
        const [b] = (await post('/orgs/search', svc.adminToken, { org_identifier: String(orgB.id) })).body;
        assert.equal(b.description ?? null, null);
        assert.equal((await update({ user_identifiers: ['dev'], operation: 'REMOVE' })).status, 204);
      });

      test('a token for an org the user is not in is refused', async () => {
        const res = await call(svc.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: 'userb', password: 'userb-password', org_id: 0 } });
        assert.ok(res.status === 401 || res.status === 403 || res.status === 400, res.text);
        assert.equal(res.body?.token, undefined);
      });
    });

    describe('session and token validation', () => {
      test('GET auth/session/user returns the user and the token\'s org', async () => {
        const b = await call(svc.baseUrl, 'GET', `${API}/auth/session/user`, { token: tok.userb });
        assert.equal(b.status, 200, b.text);
        assert.equal(b.body.name, 'userb');
        assert.equal(b.body.id, users.userb.id);
        assert.deepEqual(b.body.current_org, { id: orgB.id, name: orgB.name });
        assert.deepEqual(b.body.privileges, ['CAN_MANAGE_WEBHOOKS']);
        const a = await call(svc.baseUrl, 'GET', `${API}/auth/session/user`, { token: svc.adminToken });
        assert.equal(a.body.name, svc.adminUsername);
        assert.deepEqual(a.body.current_org, { id: 0, name: 'Primary' });
      });

      test('auth/token/validate describes a valid token and refuses bad ones', async () => {
        const own = await post('/auth/token/validate', tok.userb, { token: tok.userb });
        assert.equal(own.status, 200, own.text);
        assert.equal(own.body.valid_for_user_id, users.userb.id);
        assert.equal(own.body.scope.org_id, orgB.id);
        assert.ok(own.body.expiration_time_in_millis > Date.now());
        const byAdmin = await post('/auth/token/validate', svc.adminToken, { token: tok.userb });
        assert.equal(byAdmin.status, 200, byAdmin.text);
        assert.equal(byAdmin.body.valid_for_user_id, users.userb.id);

        const garbage = await post('/auth/token/validate', tok.userb, { token: 'garbage-token' });
        assert.equal(garbage.status, 400, garbage.text);
        assert.equal(garbage.body.error.field, 'token');
        const revoked = await login('dev', 'dev-password');
        assert.equal((await post('/auth/token/revoke', revoked, {})).status, 204);
        assert.equal((await post('/auth/token/validate', svc.adminToken, { token: revoked })).status, 400);
        // A non-administrator cannot probe someone else's token.
        assert.equal((await post('/auth/token/validate', tok.userb, { token: svc.adminToken })).status, 400);
      });
    });
  });
}
