// Signing in and sessions: failed sign-ins are throttled per client and username (one client tried
// ~25 passwords a second), HOOKRELAY_TRUST_PROXY decides whose X-Forwarded-* headers count, a
// console org switch keeps the session's end (each switch gave 8 fresh hours), and a user who
// leaves an org loses its sessions there (they came back when it was added again).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientOf, SignInThrottle } from '../src/security/sign-in-throttle.ts';
import { call, startService, type TestService } from './helpers/harness.ts';

const API = '/api/rest/2.0';

test('the throttle: failures per client and username, then per client; a success clears its count; windows end', () => {
  let now = 0;
  const t = new SignInThrottle({ perUser: 3, perClient: 5, windowMs: 1000, maxKeys: 4 }, () => now);
  for (let i = 0; i < 3; i++) {
    assert.equal(t.waitMs('ip1', 'ann'), 0);
    t.failed('ip1', 'ann');
  }
  now = 100;
  assert.equal(t.waitMs('ip1', 'ann'), 900, 'until the window ends');
  assert.equal(t.waitMs('ip1', 'ANN'), 900, 'whatever the case');
  assert.equal(t.waitMs('ip2', 'ann'), 0, 'another client');
  assert.equal(t.waitMs('ip1', 'bob'), 0, 'another user');
  t.failed('ip1', 'bob');
  t.failed('ip1', 'cid');
  assert.equal(t.waitMs('ip1', 'dee'), 900, 'five failures of the client, across users');
  now = 1000;
  assert.equal(t.waitMs('ip1', 'ann'), 0, 'a new window');
  t.failed('ip3', 'eve');
  t.failed('ip3', 'eve');
  t.succeeded('ip3', 'eve');
  t.failed('ip3', 'eve');
  t.failed('ip3', 'eve');
  assert.equal(t.waitMs('ip3', 'eve'), 0, 'counted afresh after a success');
  // At most maxKeys keys: the oldest go.
  for (let i = 0; i < 10; i++) t.failed(`many-${i}`, 'x');
  assert.equal((t as unknown as { windows: Map<string, unknown> }).windows.size, 4);
});

test('clients: an IPv6 address counts by its /64, an IPv4-mapped one as its IPv4 address', () => {
  assert.equal(clientOf('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientOf('2001:0db8:0000:0000:ffff:0:0:2'), '2001:db8:0:0::/64');
  assert.equal(clientOf('2001:db8:1::1'), '2001:db8:1:0::/64');
  assert.equal(clientOf('::1'), '0:0:0:0::/64');
  assert.equal(clientOf('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(clientOf('203.0.113.9'), '203.0.113.9');
});

describe('sign-in and sessions through the API', () => {
  let svc: TestService;
  let proxied: TestService;
  const token = (s: TestService, username: string, password: string, headers: Record<string, string> = {}) =>
    call(s.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username, password }, headers });

  before(async () => {
    svc = await startService();
    proxied = await startService({ env: { HOOKRELAY_TRUST_PROXY: '127.0.0.1/32' } });
  });
  after(async () => {
    await svc?.close();
    await proxied?.close();
  });

  test('ten failed sign-ins of a user from a client: the next gets 429 with Retry-After, the right password included; the console sign-in counts too', async () => {
    const res = await call(svc.baseUrl, 'POST', `${API}/users/create`, { token: svc.adminToken, body: { name: 'gus', display_name: 'Gus', password: 'gus-password-1' } });
    assert.equal(res.status, 200, res.text);
    for (let i = 0; i < 5; i++) assert.equal((await token(svc, 'gus', 'wrong-password')).status, 401);
    for (let i = 0; i < 5; i++) assert.equal((await call(svc.baseUrl, 'POST', '/api/v1/session', { body: { username: 'gus', password: 'wrong-password' } })).status, 401);
    const blocked = await token(svc, 'gus', 'gus-password-1');
    assert.equal(blocked.status, 429, blocked.text);
    assert.equal(blocked.body.error.field, 'username');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0 && Number(blocked.headers.get('retry-after')) <= 300, blocked.headers.get('retry-after') ?? 'none');
    assert.equal((await call(svc.baseUrl, 'POST', '/api/v1/session', { body: { username: 'gus', password: 'gus-password-1' } })).status, 429);
    assert.equal((await token(svc, svc.adminUsername, svc.adminPassword)).status, 200, 'another user signs in from the same client');
    // Successes are never counted: automation may sign in as often as it likes.
    for (let i = 0; i < 15; i++) assert.equal((await token(svc, svc.adminUsername, svc.adminPassword)).status, 200);
  });

  test('a user\'s failures count once whether the user is named by id or by name', async () => {
    const res = await call(svc.baseUrl, 'POST', `${API}/users/create`, { token: svc.adminToken, body: { name: 'hal', display_name: 'Hal', password: 'hal-password-1' } });
    assert.equal(res.status, 200, res.text);
    for (let i = 0; i < 10; i++) assert.equal((await token(svc, i % 2 ? 'hal' : res.body.id, 'wrong-password')).status, 401);
    assert.equal((await token(svc, 'hal', 'hal-password-1')).status, 429);
    assert.equal((await token(svc, res.body.id, 'hal-password-1')).status, 429);
  });

  test('behind a trusted proxy each client counts apart; an untrusted X-Forwarded-For is ignored', async () => {
    for (let i = 0; i < 10; i++) await token(proxied, proxied.adminUsername, 'wrong-password', { 'x-forwarded-for': '203.0.113.7' });
    assert.equal((await token(proxied, proxied.adminUsername, proxied.adminPassword, { 'x-forwarded-for': '203.0.113.7' })).status, 429);
    assert.equal((await token(proxied, proxied.adminUsername, proxied.adminPassword, { 'x-forwarded-for': '203.0.113.8' })).status, 200, 'another client behind the proxy');
    // Without HOOKRELAY_TRUST_PROXY the header is the client's own word: the address counts.
    for (let i = 0; i < 10; i++) await token(svc, svc.adminUsername, 'wrong-password', { 'x-forwarded-for': `198.51.100.${i}` });
    assert.equal((await token(svc, svc.adminUsername, svc.adminPassword, { 'x-forwarded-for': '198.51.100.99' })).status, 429);
  });

  test('console cookies are Secure over HTTPS behind a trusted proxy, and only there', async () => {
    const signIn = (s: TestService) => call(s.baseUrl, 'POST', '/api/v1/session', { body: { username: 'admin', password: s.adminPassword }, headers: { 'x-forwarded-proto': 'https' } });
    const secure = await signIn(proxied);
    assert.equal(secure.status, 200, secure.text);
    for (const c of secure.headers.getSetCookie()) assert.match(c, /; Secure/i, c);
    // Without a trusted proxy X-Forwarded-Proto is the client's own word: the request was HTTP.
    assert.equal((await call(svc.baseUrl, 'POST', `${API}/users/create`, { token: svc.adminToken, body: { name: 'ivy', display_name: 'Ivy', password: 'ivy-password-1' } })).status, 200);
    const direct = await call(svc.baseUrl, 'POST', '/api/v1/session', { body: { username: 'ivy', password: 'ivy-password-1' }, headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(direct.status, 200, direct.text);
    for (const c of direct.headers.getSetCookie()) assert.doesNotMatch(c, /; Secure/i, c);
  });

  test('an org switch keeps the session\'s end; a user who leaves an org loses its sessions there, for good', async () => {
    const cookieOf = (res: Awaited<ReturnType<typeof call>>) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const maxAge = (res: Awaited<ReturnType<typeof call>>) => Number(/Max-Age=(\d+)/i.exec(res.headers.getSetCookie()[0])?.[1]);
    const signIn = await call(proxied.baseUrl, 'POST', '/api/v1/session', { body: { username: 'admin', password: proxied.adminPassword } });
    assert.equal(maxAge(signIn), 8 * 3600);
    await new Promise((r) => setTimeout(r, 1100));
    const switched = await call(proxied.baseUrl, 'POST', '/api/v1/session/org', { body: { org_id: 0 }, headers: { cookie: cookieOf(signIn), 'x-csrf-token': signIn.body.csrf_token } });
    assert.equal(switched.status, 200, switched.text);
    assert.ok(maxAge(switched) < 8 * 3600, `a fresh 8 hours: ${maxAge(switched)}`);

    const admin = (method: string, path: string, body?: unknown) => call(proxied.baseUrl, method, path, { token: proxied.adminToken, body });
    const org = (await admin('POST', `${API}/orgs/create`, { name: 'leavers' })).body;
    assert.equal((await admin('POST', `${API}/users/create`, { name: 'hal', display_name: 'Hal', password: 'hal-password-1', org_identifiers: ['0', String(org.id)] })).status, 200);
    const inOrg = (await call(proxied.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: 'hal', password: 'hal-password-1', org_id: org.id } })).body.token;
    const inPrimary = (await call(proxied.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: 'hal', password: 'hal-password-1', org_id: 0 } })).body.token;
    const me = (t: string) => call(proxied.baseUrl, 'GET', `${API}/auth/session/user`, { token: t });
    assert.equal((await me(inOrg)).status, 200);
    assert.equal((await admin('POST', `${API}/orgs/${org.id}/update`, { user_identifiers: ['hal'], operation: 'REMOVE' })).status, 204);
    assert.equal((await admin('POST', `${API}/orgs/${org.id}/update`, { user_identifiers: ['hal'], operation: 'ADD' })).status, 204);
    assert.equal((await me(inOrg)).status, 401, 'the session in the org left did not come back');
    assert.equal((await me(inPrimary)).status, 200, 'its session in another org stays');
    // The same through users/update.
    const again = (await call(proxied.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: 'hal', password: 'hal-password-1', org_id: org.id } })).body.token;
    assert.equal((await admin('POST', `${API}/users/hal/update`, { org_identifiers: ['0'] })).status, 204);
    assert.equal((await admin('POST', `${API}/users/hal/update`, { org_identifiers: [String(org.id)], operation: 'ADD' })).status, 204);
    assert.equal((await me(again)).status, 401);
    assert.equal((await me(inPrimary)).status, 200);
  });

  test('sign-ins racing a password change or an org removal: no token from before the change lives on', async () => {
    const admin = (path: string, body: unknown) => call(proxied.baseUrl, 'POST', `${API}${path}`, { token: proxied.adminToken, body });
    const me = (t: string) => call(proxied.baseUrl, 'GET', `${API}/auth/session/user`, { token: t });
    const org = (await admin('/orgs/create', { name: 'racing' })).body;
    for (let round = 0; round < 3; round++) {
      const name = `racer-${round}`;
      assert.equal((await admin('/users/create', { name, display_name: name, password: 'old-password-1', org_identifiers: ['0', String(org.id)] })).status, 200);
      // Sign-ins with the old password, one every few ms, around a reset (each spends ~50 ms in scrypt).
      const signIns: Promise<Awaited<ReturnType<typeof call>>>[] = [];
      const inOrg: Promise<Awaited<ReturnType<typeof call>>>[] = [];
      let change: Promise<unknown> | null = null;
      for (let i = 0; i < 24; i++) {
        signIns.push(call(proxied.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: name, password: 'old-password-1', org_id: 0 }, headers: { 'x-forwarded-for': `192.0.2.${i}` } }));
        inOrg.push(call(proxied.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: name, password: 'old-password-1', org_id: org.id }, headers: { 'x-forwarded-for': `192.0.2.${100 + i}` } }));
        if (i === 8) change = Promise.all([admin('/users/reset-password', { user_identifier: name, new_password: 'new-password-1' }), admin(`/orgs/${org.id}/update`, { user_identifiers: [name], operation: 'REMOVE' })]);
        await new Promise((r) => setTimeout(r, 4));
      }
      await change;
      const got = [...(await Promise.all(signIns)), ...(await Promise.all(inOrg))].filter((r) => r.status === 200);
      for (const r of got) assert.equal((await me(r.body.token)).status, 401, `round ${round}: a token from before the change lives on`);
      // Added back to the org: nothing from before comes back.
      assert.equal((await admin(`/orgs/${org.id}/update`, { user_identifiers: [name], operation: 'ADD' })).status, 204);
      for (const r of got) assert.equal((await me(r.body.token)).status, 401, `round ${round}: back with the org`);
    }
  });

  test('sign-ins sent at once are counted as they start: of 30 wrong passwords at once, 10 are checked', async () => {
    // Counted after the password check, all 300 of a burst were checked (fuzzing).
    assert.equal((await call(svc.baseUrl, 'POST', `${API}/users/create`, { token: svc.adminToken, body: { name: 'burst', display_name: 'B', password: 'burst-password-1' } })).status, 200);
    const answers = await Promise.all(Array.from({ length: 30 }, () => token(svc, 'burst', 'wrong-password', { 'x-forwarded-for': 'ignored' })));
    const counts = { 401: 0, 429: 0 } as Record<number, number>;
    for (const a of answers) counts[a.status] = (counts[a.status] ?? 0) + 1;
    assert.deepEqual(counts, { 401: 10, 429: 20 });
    // A username or password longer than any account's is refused by its size (the throttle
    // kept each failed username: ~1 MB ones ran the heap out).
    const long = await token(svc, 'x'.repeat(256), 'p');
    assert.equal(long.status, 400);
    assert.equal(long.body.error.field, 'username');
  });

  test("change-password: another user's is refused before any lookup; guesses of the current password are throttled", async () => {
    const admin = (path: string, body: unknown) => call(proxied.baseUrl, 'POST', `${API}${path}`, { token: proxied.adminToken, body });
    assert.equal((await admin('/users/create', { name: 'kit', display_name: 'Kit', password: 'kit-password-1' })).status, 200);
    const kit = (await call(proxied.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: 'kit', password: 'kit-password-1' }, headers: { 'x-forwarded-for': '198.18.0.1' } })).body.token;
    const change = (user: string, current: string) => call(proxied.baseUrl, 'POST', `${API}/users/change-password`, { token: kit, body: { user_identifier: user, current_password: current, new_password: 'kit-password-2' }, headers: { 'x-forwarded-for': '198.18.0.2' } });
    // The same answer for a user who exists and one who does not.
    assert.deepEqual([(await change('admin', 'x')).status, (await change('no-such-user', 'x')).status], [403, 403]);
    for (let i = 0; i < 10; i++) assert.equal((await change('kit', `guess-${i}`)).body.error.field, 'current_password');
    const blocked = await change('kit', 'kit-password-1');
    assert.equal(blocked.status, 429, blocked.text);
  });
});
