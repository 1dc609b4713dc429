// Users after their creation, through @thoughtspot/rest-api-sdk unmodified: update (orgs with
// ADD / REMOVE / REPLACE, names, privileges), change and reset of passwords (every session of the
// user ends), delete (its sessions with it). These operations answered 404 "route not found"
// (SDK audit, 2026-12-07): a user could be neither offboarded nor given a new password.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiException, AuthenticationApi, OrgsApi, UsersApi, createBasicConfig, createBearerAuthenticationConfig } from '@thoughtspot/rest-api-sdk';
import { engines, startService, type TestService } from './helpers/harness.ts';

async function rejects(p: Promise<unknown>, status: number, field: string | undefined, what: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `${what}: ${err}`);
    assert.equal(err.code, status, `${what}: ${JSON.stringify(err.body)}`);
    assert.equal(err.body?.error?.field, field, `${what}: ${JSON.stringify(err.body)}`);
    return;
  }
  assert.fail(`${what}: the call succeeded`);
}

for (const engine of engines) {
  describe(`user lifecycle through the SDK (${engine})`, () => {
    let svc: TestService;
    let users: UsersApi;
    let orgs: OrgsApi;
    const anon = () => new AuthenticationApi(createBasicConfig(svc.baseUrl));
    const tokenOf = async (username: string, password: string, org_id?: number) => (await anon().getFullAccessToken({ username, password, org_id })).token;
    const as = (token: string) => ({ auth: new AuthenticationApi(createBearerAuthenticationConfig(svc.baseUrl, async () => token)), users: new UsersApi(createBearerAuthenticationConfig(svc.baseUrl, async () => token)) });
    const find = async (name: string) => (await users.searchUsers({ user_identifier: name }))[0];

    before(async () => {
      svc = await startService({ engine });
      const cfg = createBearerAuthenticationConfig(svc.baseUrl, async () => svc.adminToken);
      users = new UsersApi(cfg);
      orgs = new OrgsApi(cfg);
    });
    after(async () => {
      await svc?.close();
    });

    test('updateUser: names, email, privileges, and orgs by ADD, REMOVE and REPLACE (the default)', async () => {
      const [a, b] = [await orgs.createOrg({ name: `ua-${engine}` }), await orgs.createOrg({ name: `ub-${engine}` })].map((o) => ({ ...o, id: o.id! }));
      await users.createUser({ name: 'dana', display_name: 'Dana', password: 'dana-password-1', email: '', org_identifiers: [String(a.id)] });
      await users.updateUser('dana', { display_name: 'Dana S.', email: 'dana@example.com', org_identifiers: [String(b.id)], operation: 'ADD' });
      let dana = await find('dana');
      assert.equal(dana.display_name, 'Dana S.');
      assert.equal(dana.email, 'dana@example.com');
      assert.deepEqual(dana.orgs?.map((o) => o.id).sort(), [a.id, b.id].sort());
      await users.updateUser(dana.id, { org_identifiers: [`ua-${engine}`], operation: 'REMOVE' });
      assert.deepEqual((await find('dana')).orgs?.map((o) => o.id), [b.id]);
      // Out of org a, its token there no longer works.
      await rejects(tokenOf('dana', 'dana-password-1', a.id), 401, 'org_id', 'a token in an org left');
      await users.updateUser('dana', { org_identifiers: [String(a.id)] });
      assert.deepEqual((await find('dana')).orgs?.map((o) => o.id), [a.id], 'REPLACE by default');
      await users.updateUser('dana', { name: 'dana-r' });
      dana = await find('dana-r');
      assert.equal(dana.display_name, 'Dana S.', 'fields not given are kept');
      assert.equal(await find('dana'), undefined);
      assert.ok(await tokenOf('dana-r', 'dana-password-1', a.id), 'the password is kept');

      await rejects(users.updateUser('dana-r', { org_identifiers: [String(a.id)], operation: 'REMOVE' }), 400, 'org_identifiers', 'no org left');
      await rejects(users.updateUser('dana-r', { org_identifiers: ['no-such-org'] }), 400, 'org_identifiers[0]', 'an unknown org');
      await rejects(users.updateUser('dana-r', { name: '  ' }), 400, 'name', 'a blank name');
      // Control characters and bidirectional overrides (a NUL was a 500 on PostgreSQL).
      await rejects(users.updateUser('dana-r', { name: 'line\nbreak' }), 400, 'name', 'a newline');
      await rejects(users.updateUser('dana-r', { display_name: 'invoice\u202efdp.exe' }), 400, 'display_name', 'a bidi override');
      await rejects(users.updateUser('dana-r', { email: 'a\u0001@b.c' }), 400, 'email', 'a control character');
      await rejects(orgs.createOrg({ name: 'tab\there' }), 400, 'name', 'an org name with a tab');
      await rejects(users.updateUser('dana-r', { name: svc.adminUsername }), 400, 'name', 'a name taken');
      await rejects(users.updateUser('dana-r', { account_status: 'INACTIVE' }), 400, 'account_status', 'a status HookRelay users cannot have');
      await rejects(users.updateUser('nobody', { display_name: 'x' }), 400, 'user_identifier', 'an unknown user');
      assert.equal((await find('dana-r')).orgs?.length, 1, 'a refused update changed nothing');
    });

    test('SDK fields HookRelay has nothing behind are refused when set, naming them (they were accepted and ignored)', async () => {
      await rejects(users.createUser({ name: 'fay', display_name: 'Fay', password: 'fay-password-1', email: '', preferred_locale: 'de-DE' as any }), 400, 'preferred_locale', 'a locale');
      await rejects(users.createUser({ name: 'fay', display_name: 'Fay', password: 'fay-password-1', email: '', trigger_welcome_email: true }), 400, 'trigger_welcome_email', 'a welcome email');
      assert.equal(await find('fay'), undefined, 'nothing made');
      await users.createUser({ name: 'fay', display_name: 'Fay', password: 'fay-password-1', email: '', notify_on_share: null, trigger_welcome_email: false });
      await rejects(users.updateUser('fay', { show_onboarding_experience: true }), 400, 'show_onboarding_experience', 'an update');
      // A filter no user here can pass was ignored: the search listed users as if unfiltered.
      await rejects(users.searchUsers({ user_identifier: 'fay', home_liveboard_identifier: 'lb-1' }), 400, 'home_liveboard_identifier', 'a search filter');
      assert.equal((await users.searchUsers({ user_identifier: 'fay', include_favorite_metadata: true })).length, 1, 'an output option is taken');
      await rejects(anon().getFullAccessToken({ username: 'fay', password: 'fay-password-1', auto_create: true }), 400, 'auto_create', 'auto-creation');
      await rejects(anon().getFullAccessToken({ username: 'fay', password: 'fay-password-1', user_parameters: { runtime_filters: [] } as any }), 400, 'user_parameters', 'user parameters');
      assert.ok(await anon().getFullAccessToken({ username: 'fay', password: 'fay-password-1', auto_create: false }));
    });

    test('the last administrator can be neither demoted nor deleted; another can', async () => {
      const admin = await find(svc.adminUsername);
      const update = (privileges: string[]) => fetch(`${svc.baseUrl}/api/rest/2.0/users/${admin.id}/update`, { method: 'POST', headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ privileges }) });
      const demoted = await update(['DEVELOPER']);
      assert.equal(demoted.status, 400);
      assert.equal(((await demoted.json()) as any).error.field, 'privileges');
      await rejects(users.deleteUser(svc.adminUsername), 400, 'user_identifier', 'the last administrator');
      // With a second administrator (the extension field `privileges`, not in the SDK's request).
      const res = await fetch(`${svc.baseUrl}/api/rest/2.0/users/create`, { method: 'POST', headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'second-admin', display_name: 'S', password: 'second-admin-1', privileges: ['ADMINISTRATION'] }) });
      assert.equal(res.status, 200);
      const secondToken = await tokenOf('second-admin', 'second-admin-1');
      await as(secondToken).users.deleteUser('second-admin');
      await assert.rejects(as(secondToken).auth.getCurrentUserInfo(), (e: unknown) => e instanceof ApiException && e.code === 401, 'a deleted user\'s session ends');
      await assert.rejects(tokenOf('second-admin', 'second-admin-1'), (e: unknown) => e instanceof ApiException && e.code === 401);
      assert.equal(await find('second-admin'), undefined);
    });

    test('an org change may not leave a user in no org; of deletes of one org sent at once, one succeeds', async () => {
      const org = await orgs.createOrg({ name: `only-${engine}` });
      await users.createUser({ name: 'gil', display_name: 'Gil', password: 'gil-password-1', email: '', org_identifiers: [String(org.id)] });
      await rejects(orgs.updateOrg(String(org.id), { user_identifiers: ['gil'], operation: 'REMOVE' }), 400, 'user_identifiers', 'its only org');
      await rejects(orgs.updateOrg(String(org.id), { user_identifiers: [svc.adminUsername], operation: 'REPLACE' }), 400, 'user_identifiers', 'replaced out of its only org');
      assert.deepEqual((await find('gil')).orgs?.map((o) => o.id), [org.id], 'unchanged');
      await users.updateUser('gil', { org_identifiers: ['0'], operation: 'ADD' });
      await orgs.updateOrg(String(org.id), { user_identifiers: ['gil'], operation: 'REMOVE' });
      assert.deepEqual((await find('gil')).orgs?.map((o) => o.id), [0]);
      const answers = await Promise.allSettled(Array.from({ length: 6 }, () => orgs.deleteOrg(String(org.id))));
      assert.equal(answers.filter((a) => a.status === 'fulfilled').length, 1, JSON.stringify(answers.map((a) => a.status)));
      for (const a of answers) if (a.status === 'rejected') assert.equal((a.reason as ApiException<any>).body?.error?.code, 'NOT_FOUND');
    });

    test('two removals at once (by users/update and by orgs/update) never leave a user in no org', async () => {
      // Checked before the write, they both passed: 2-4 of 30 users on PostgreSQL, 29-30 on SQLite.
      const [a, d] = [await orgs.createOrg({ name: `rm-a-${engine}` }), await orgs.createOrg({ name: `rm-d-${engine}` })];
      for (let round = 0; round < 10; round++) {
        const name = `rm-${round}`;
        await users.createUser({ name, display_name: name, password: 'rm-password-1', email: '', org_identifiers: [String(a.id), String(d.id)] });
        const results = await Promise.allSettled([
          users.updateUser(name, { org_identifiers: [String(a.id)], operation: 'REMOVE' }),
          orgs.updateOrg(String(d.id), { user_identifiers: [name], operation: 'REMOVE' }),
        ]);
        const left = (await find(name)).orgs ?? [];
        assert.equal(left.length, 1, `round ${round}: ${JSON.stringify(left)} ${results.map((r) => r.status)}`);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
        for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as ApiException<any>).code, 400);
      }
    });

    test('the last two administrators demoting or deleting each other at once: one stays an administrator', async () => {
      // Each saw the other still holding the privilege, and both went (concurrency fuzzing).
      const raw = (token: string, path: string, body: unknown) => fetch(`${svc.baseUrl}/api/rest/2.0${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const admins = async (token: string) => ((await (await raw(token, '/users/search', { privileges: ['ADMINISTRATION'] })).json()) as { name: string }[]).map((u) => u.name);
      for (let round = 0; round < 6; round++) {
        const [p, q] = [`twin-p-${round}`, `twin-q-${round}`];
        for (const name of [p, q]) assert.equal((await raw(svc.adminToken, '/users/create', { name, display_name: name, password: 'twin-password-1', privileges: ['ADMINISTRATION'] })).status, 200);
        const [tp, tq] = [await tokenOf(p, 'twin-password-1'), await tokenOf(q, 'twin-password-1')];
        // The two are the last administrators: the suite's own steps down for the round.
        assert.equal((await raw(tp, `/users/${svc.adminUsername}/update`, { privileges: [] })).status, 204);
        const act = (token: string, who: string) => (round % 2 ? raw(token, `/users/${who}/delete`, {}) : raw(token, `/users/${who}/update`, { privileges: ['DEVELOPER'] }));
        const answers = await Promise.all([act(tp, q), act(tq, p)]);
        const statuses = answers.map((r) => r.status);
        // One wins; the other is refused as the last administrator, for no longer being one, or
        // (deleted) for no longer being a user.
        assert.equal(statuses.filter((x) => x === 204).length, 1, `round ${round}: ${statuses}`);
        assert.ok(statuses.every((x) => x === 204 || x === 400 || x === 403 || x === 401), `round ${round}: ${statuses}`);
        const survivor = statuses[0] === 204 ? tp : tq;
        assert.equal((await admins(survivor)).length, 1, `round ${round}`);
        assert.equal((await raw(survivor, `/users/${svc.adminUsername}/update`, { privileges: ['ADMINISTRATION'] })).status, 204);
        for (const name of [p, q]) if (await find(name)) assert.equal((await raw(svc.adminToken, `/users/${name}/delete`, {})).status, 204);
      }
    });

    test('changeUserPassword and resetUserPassword: the new password works, the old does not, and every session of the user ends', async () => {
      await users.createUser({ name: 'eli', display_name: 'Eli', password: 'eli-password-1', email: 'eli@example.com' });
      const [t1, t2] = [await tokenOf('eli', 'eli-password-1'), await tokenOf('eli', 'eli-password-1')];
      const eli = as(t1);
      await rejects(eli.users.changeUserPassword({ user_identifier: 'eli', current_password: 'wrong-password', new_password: 'eli-password-2' }), 400, 'current_password', 'a wrong current password');
      await rejects(eli.users.changeUserPassword({ user_identifier: 'eli', current_password: 'eli-password-1', new_password: 'short' }), 400, 'new_password', 'a short one');
      await rejects(eli.users.changeUserPassword({ user_identifier: svc.adminUsername, current_password: svc.adminPassword, new_password: 'taken-over-1' }), 403, undefined, 'another user\'s');
      assert.ok(await tokenOf(svc.adminUsername, svc.adminPassword), 'the administrator\'s password is unchanged');
      assert.ok(await as(t2).auth.getCurrentUserInfo(), 'refused changes end no session');
      await eli.users.changeUserPassword({ user_identifier: 'eli', current_password: 'eli-password-1', new_password: 'eli-password-2' });
      for (const t of [t1, t2]) await assert.rejects(as(t).auth.getCurrentUserInfo(), (e: unknown) => e instanceof ApiException && e.code === 401);
      await assert.rejects(tokenOf('eli', 'eli-password-1'), (e: unknown) => e instanceof ApiException && e.code === 401);
      const t3 = await tokenOf('eli', 'eli-password-2');
      await users.resetUserPassword({ user_identifier: 'eli', new_password: 'eli-password-3' });
      await assert.rejects(as(t3).auth.getCurrentUserInfo(), (e: unknown) => e instanceof ApiException && e.code === 401);
      assert.ok(await tokenOf('eli', 'eli-password-3'));
      // Resetting is for administrators.
      await assert.rejects(as(await tokenOf('eli', 'eli-password-3')).users.resetUserPassword({ user_identifier: 'eli', new_password: 'eli-password-4' }), (e: unknown) => e instanceof ApiException && e.code === 403);
    });
  });
}
