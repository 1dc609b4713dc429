// Inputs found by fuzzing the API (2026-12-07) that answered 500, hung, or answered a 4xx not
// naming the field: each now gets a 4xx whose message names it, and the service keeps working.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { call, startService, type TestService } from './helpers/harness.ts';

const API = '/api/rest/2.0';
type Res = Awaited<ReturnType<typeof call>>;

function assertFieldError(res: Res, status: number, field: string) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.equal(res.body?.error?.field, field, res.text);
  assert.ok(String(res.body.error.message).includes(field), `message does not name the field: ${res.text}`);
}

/** `{ "a": { "a": ... } }`, `depth` objects deep, as JSON text (JSON.stringify itself overflows at such depths). */
const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('hostile inputs', () => {
  let svc: TestService;
  const get = (path: string) => call(svc.baseUrl, 'GET', path, { token: svc.adminToken });
  const post = (path: string, body?: unknown, opts: { raw?: string; headers?: Record<string, string> } = {}) =>
    call(svc.baseUrl, 'POST', path, { token: svc.adminToken, body, ...opts });

  before(async () => {
    svc = await startService({ env: { HOOKRELAY_ALLOW_PRIVATE_TARGETS: 'true', HOOKRELAY_MAX_ATTACHMENT_BYTES: '2048' } });
  });
  after(async () => {
    await svc.close();
  });

  test('bodies nested deeper than 64 levels: 400 naming the body, and the webhook table still reads', async () => {
    const raw = (path: string, json: string) => post(path, undefined, { raw: json });
    assertFieldError(await raw('/api/v1/events', `{"type":"kpi.computed","data":${nested(10_000)}}`), 400, 'body');
    assertFieldError(await raw('/api/v1/events/batch', `{"events":[{"type":"kpi.computed","data":${nested(100)}}]}`), 400, 'body');
    const s3 = '"storage_type":"AWS_S3","storage_config":{"aws_s3_config":{"bucket_name":"my-bucket","region":"us-east-1","role_arn":"arn:aws:iam::123456789012:role/R"}}';
    assertFieldError(await raw(`${API}/webhooks/create`, `{"name":"deep","url":"http://127.0.0.1:9/x","events":["dashboard.ready"],"storage_destination":{${s3},"x":${nested(3000)}}}`), 400, 'body');
    assert.equal((await raw('/api/v1/events', `{"type":"kpi.computed","data":${nested(60)}}`)).status, 202, '60 levels are fine');
    assert.equal((await get('/api/v1/webhooks')).status, 200);
    assert.equal((await post(`${API}/webhooks/search`, {})).status, 200);
  });

  test("an event's names: any value in a product event's data is fine; in a Liveboard schedule's, not a string is a 400", async () => {
    assert.equal((await post('/api/v1/events', { type: 'kpi.computed', data: { metadataObject: { name: true }, scheduleDetails: { runId: [1] } } })).status, 202);
    assertFieldError(await post('/api/v1/events', { type: 'LIVEBOARD_SCHEDULE', data: { scheduleDetails: { name: 5 } } }), 400, 'data.scheduleDetails.name');
    assertFieldError(await post('/api/v1/events/batch', { events: [{ type: 'LIVEBOARD_SCHEDULE', data: { metadataObject: 'x' } }] }), 400, 'events[0].data.metadataObject');
  });

  test('offsets past what the databases hold: 400 naming the parameter', async () => {
    const hook = await post(`${API}/webhooks/create`, { name: 'pages', url: 'http://127.0.0.1:9/x', events: ['kpi.computed'] });
    assert.equal(hook.status, 200, hook.text);
    assertFieldError(await get('/api/v1/webhooks/pages/attempts?offset=1e20'), 400, 'offset');
    assertFieldError(await get('/api/v1/dlq?offset=1e20'), 400, 'offset');
    assertFieldError(await post(`${API}/webhooks/search`, { record_offset: 1e20 }), 400, 'record_offset');
    assert.equal((await get('/api/v1/webhooks/pages/attempts?offset=2147483647')).status, 200);
  });

  test('job history search: lists bounded with a 400, repeated event types fine', async () => {
    const search = (body: Record<string, unknown>) => post(`${API}/jobs/history/communication-channels/search`, { channel_type: 'WEBHOOK', ...body });
    assertFieldError(await search({ job_ids: Array.from({ length: 1001 }, (_, i) => `n.x${i}`) }), 400, 'job_ids');
    assertFieldError(await search({ events: Array.from({ length: 501 }, () => ({ type: 'kpi.computed' })) }), 400, 'events');
    assert.equal((await search({ events: Array.from({ length: 500 }, (_, i) => ({ type: 'kpi.computed', identifier: `n.e${i}` })) })).status, 200);
    assert.equal((await search({ job_ids: Array.from({ length: 1000 }, (_, i) => `n.x${i}`) })).status, 200);
  });

  test('multipart bodies the parser cannot read: 400; limits: 413 naming them; an unread rest closes the connection', async () => {
    const form = (boundary: string, body: string) => post('/api/v1/events', undefined, { raw: body, headers: { 'content-type': `multipart/form-data${boundary}` } });
    assertFieldError(await form('', 'xx'), 400, 'body');
    assertFieldError(await form('; boundary=abc', '--abc\r\nContent-Disposition: form-data; name="f"; filename="a.pdf"\r\n\r\nxxx'), 400, 'body');
    // An event part declared application/json (as many clients send it) is taken: it was read as
    // "[object Object]" and refused; one that is not UTF-8 JSON is a 400 in the API's shape (406).
    const typed = (charset: string) => form('; boundary=b', `--b\r\nContent-Disposition: form-data; name="event"\r\nContent-Type: application/json${charset}\r\n\r\n{"type":"kpi.computed","data":{"via":"typed part"}}\r\n--b--\r\n`);
    const ok = await typed('');
    assert.equal(ok.status, 202, ok.text);
    assert.match(ok.body.id, /^n\./);
    const utf16 = await typed('; charset=utf-16le');
    assert.equal(utf16.status, 400, utf16.text);
    assert.equal(utf16.body.error.code, 'MALFORMED_JSON');
    // File names with control characters (a NUL was a 500 on PostgreSQL) or bidirectional overrides.
    for (const [i, name] of ['a\u0000b.pdf', 'tab\there.csv', 'invoice\u202efdp.csv'].entries()) {
      const fd = new FormData();
      fd.append('event', JSON.stringify({ type: 'kpi.computed', data: {} }));
      fd.append('file', new Blob(['a,b']), name);
      const res = await fetch(`${svc.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${svc.adminToken}` }, body: fd });
      assert.equal(res.status, 400, `${i}: ${res.status}`);
      assert.equal(((await res.json()) as any).error.field, 'files[0].filename');
    }
    // Parts the parser skips without a word (a file sent as "attachment", or with a line break in
    // its filename*, or without a Content-Disposition) and fields other than "event": each was
    // dropped and the publish answered 202 without it.
    const eventPart = `--b\r\nContent-Disposition: form-data; name="event"\r\n\r\n{"type":"kpi.computed","data":{}}\r\n`;
    for (const [i, header] of ['Content-Disposition: attachment; name="file"; filename="a.csv"', `Content-Disposition: form-data; name="file"; filename*=UTF-8''a%0D%0Ab.csv`, 'Content-Type: text/csv'].entries()) {
      const res = await form('; boundary=b', `${eventPart}--b\r\n${header}\r\n\r\na,b\r\n--b--\r\n`);
      assertFieldError(res, 400, 'body');
      assert.match(res.body.error.message, /2 parts and 1 of them could not be read/, `${i}`);
    }
    assertFieldError(await form('; boundary=b', `${eventPart}--b\r\nContent-Disposition: form-data; name="report"\r\n\r\na,b\r\n--b--\r\n`), 400, 'report');
    // The same parts, read: a preamble, the file, and an epilogue are fine.
    const fine = await form('; boundary="b"', `preamble\r\n${eventPart}--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b\r\n--b--\r\nepilogue --b\r\n`);
    assert.equal(fine.status, 202, fine.text);
    // An event part over the body limit: a 413 naming it (a 400 "Unterminated string" before).
    const huge = await form('; boundary=b', `--b\r\nContent-Disposition: form-data; name="event"\r\n\r\n{"type":"kpi.computed","data":{"x":"${'y'.repeat(1_100_000)}"}}\r\n--b--\r\n`);
    assertFieldError(huge, 413, 'event');
    // Two event parts: the first was dropped without a word.
    const twice = new FormData();
    for (const kpi of ['first', 'second']) twice.append('event', JSON.stringify({ type: 'kpi.computed', data: { kpi } }));
    const doubled = await fetch(`${svc.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${svc.adminToken}` }, body: twice });
    assert.equal(doubled.status, 400);
    assert.match(((await doubled.json()) as any).error.message, /^event: is given twice/);
    const fd = new FormData();
    fd.append('event', JSON.stringify({ type: 'kpi.computed', data: {} }));
    for (let i = 0; i < 21; i++) fd.append('file', new Blob(['a,b']), `f${i}.csv`);
    const many = await fetch(`${svc.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${svc.adminToken}` }, body: fd });
    assert.equal(many.status, 413);
    assert.equal(((await many.json()) as any).error.field, 'files');
    // Two files over the limit together, on one keep-alive connection, then a second request on it.
    const { port } = new URL(svc.baseUrl);
    const part = (name: string) => `--b\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n${'x'.repeat(1500)}\r\n`;
    const body = `--b\r\nContent-Disposition: form-data; name="event"\r\n\r\n{"type":"kpi.computed","data":{}}\r\n${part('a.csv')}${part('b.csv')}${'y'.repeat(200_000)}--b--\r\n`;
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect(Number(port), '127.0.0.1', () => {
        s.write(`POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${svc.adminToken}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('end', () => resolve(got));
      s.on('error', reject);
      setTimeout(() => reject(new Error(`connection still open after the answer: ${got.slice(0, 200)}`)), 5000).unref();
    });
    assert.match(answer, /^HTTP\/1\.1 413/);
    assert.match(answer, /connection: close/i);
  });

  test("content types, path parameters: 4xx in the API's shape; a 255-character webhook name is a path parameter that works", async () => {
    assertFieldError(await post('/api/v1/events/batch', undefined, { raw: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'content-type');
    assertFieldError(await get('/api/v1/events/%ff/jobs'), 400, 'path');
    // Past the longest path parameter there is no such route: the API's 404.
    const long = await get(`/api/v1/events/${'e'.repeat(1100)}/jobs`);
    assert.equal(long.status, 404);
    assert.equal(long.body?.error?.code, 'NOT_FOUND');
    // On a POST route past the longest parameter: a 414 in the API's shape (it quoted the path back).
    const tooLong = await post(`${API}/webhooks/${'w'.repeat(1100)}/update`, {});
    assertFieldError(tooLong, 414, 'path');
    assert.ok(tooLong.text.length < 300, tooLong.text);
    const name = 'n'.repeat(255);
    assert.equal((await post(`${API}/webhooks/create`, { name, url: 'http://127.0.0.1:9/x', events: ['kpi.computed'] })).status, 200);
    assert.equal((await get(`/api/v1/webhooks/${name}/attempts`)).status, 200);
  });

  test("webhook settings a delivery could not use: 400 naming the field (a bare authentication value on update was a 500)", async () => {
    const created = await post(`${API}/webhooks/create`, { name: 'keyed', url: 'http://127.0.0.1:9/x', events: ['kpi.computed'], authentication: { API_KEY: { key: 'X-Key', value: 'v' } } });
    assert.equal(created.status, 200, created.text);
    const update = (body: Record<string, unknown>) => post(`${API}/webhooks/keyed/update`, body);
    assertFieldError(await update({ authentication: { API_KEY: 'x' } }), 400, 'authentication.API_KEY.key');
    const off = await update({ signature_verification: false });
    assertFieldError(off, 400, 'signature_verification');
    assert.match(off.body.error.message, /must be null or object/, 'a union names its types, not only the first');
    assertFieldError(await update({ additional_headers: [{ key: 'X-A', value: 'a\u0001b' }] }), 400, 'additional_headers[0].value');
    assertFieldError(await update({ authentication: { API_KEY: { key: 'X-Key', value: 'v\u4e2d' } } }), 400, 'authentication.API_KEY.value');
    assertFieldError(await update({ signature_verification: { type: 'HMAC_SHA256', header: 'x-key', algorithm: 'SHA256', secret: 'sig-secret' } }), 400, 'signature_verification.header');
    assert.equal((await update({ additional_headers: [{ key: 'X-A', value: 'caf\u00e9\tok' }] })).status, 204, 'Latin-1 and tab are fine');
  });

  test('a token for an org given by id: an org merely named like that id is not it (a token for org -1 was issued, and refused on every use)', async () => {
    for (const name of ['-1', '1e+30']) assert.equal((await post(`${API}/orgs/create`, { name })).status, 200, name);
    const token = (org_id: number) => call(svc.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: svc.adminUsername, password: svc.adminPassword, org_id } });
    for (const id of [-1, 1e30, 987_654]) {
      const res = await token(id);
      assertFieldError(res, 400, 'org_id');
      assert.equal(res.body.error.code, 'NOT_FOUND');
    }
    const session = await call(svc.baseUrl, 'POST', '/api/v1/session', { body: { username: svc.adminUsername, password: svc.adminPassword, org_id: -1 } });
    assert.equal(session.status, 404, session.text);
    assert.equal((await token(0)).status, 200, 'an org that exists, by its id');
  });

  test("an empty org_identifier names no org (it meant the caller's own); reset_events with REPLACE is refused (it was ignored)", async () => {
    const configure = (org: Record<string, unknown>) => post(`${API}/system/preferences/communication-channels/configure`, { org_preferences: [org] });
    const prefs = [{ event_type: 'LIVEBOARD_SCHEDULE', channels: ['EMAIL'] }];
    const read = async () => {
      const res = await post(`${API}/system/preferences/communication-channels/search`, {});
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    const before = await read();
    assertFieldError(await configure({ org_identifier: '', preferences: prefs }), 400, 'org_preferences[0].org_identifier');
    assertFieldError(await post(`${API}/webhooks/search`, { org_identifier: '' }), 400, 'org_identifier');
    assertFieldError(await configure({ org_identifier: '0', preferences: prefs, reset_events: ['LIVEBOARD_SCHEDULE'] }), 400, 'org_preferences[0].reset_events');
    assert.deepEqual(await read(), before, 'no preference changed');
  });

  test("names of an id's form (a UUID) are refused: found by id first, they named another record", async () => {
    const other = await post(`${API}/webhooks/create`, { name: 'target', url: 'http://127.0.0.1:9/x', events: ['kpi.computed'] });
    assert.equal(other.status, 200, other.text);
    const id = other.body.id as string;
    assertFieldError(await post(`${API}/webhooks/create`, { name: id.toUpperCase(), url: 'http://127.0.0.1:9/y', events: ['kpi.computed'] }), 400, 'name');
    assertFieldError(await post(`${API}/webhooks/target/update`, { name: crypto.randomUUID() }), 400, 'name');
    const user = await post(`${API}/users/create`, { name: ` ${crypto.randomUUID()} `, display_name: 'shadow', password: 'shadow-pass-1', org_identifiers: ['0'] });
    assertFieldError(user, 400, 'name');
    assert.equal((await post(`${API}/webhooks/create`, { name: `hook-${id}`, url: 'http://127.0.0.1:9/z', events: ['kpi.computed'] })).status, 200, 'an id inside a longer name is fine');
  });

  test('a stored credential is not sent to a new destination unless sent again (a webhook manager could redirect it to a server of its own)', async () => {
    const created = await post(`${API}/webhooks/create`, { name: 'cred', url: 'https://hooks.example.com/a', events: ['kpi.computed'], authentication: { API_KEY: { key: 'X-Key', value: 'secret-1' } } });
    assert.equal(created.status, 200, created.text);
    const update = (body: Record<string, unknown>) => post(`${API}/webhooks/cred/update`, body);
    assert.equal((await update({ url: 'https://hooks.example.com/b?x=1' })).status, 204, 'same origin: kept');
    for (const body of [{ url: 'https://evil.example.net/a' }, { url: 'https://evil.example.net/a', authentication: { API_KEY: { key: 'X-Key', value: '******' } } }, { url: 'http://hooks.example.com/b' }]) {
      const res = await update(body);
      assertFieldError(res, 400, 'authentication');
      assert.match(res.body.error.message, /send the credentials again/);
    }
    assert.equal((await update({ url: 'https://new.example.net/a', authentication: { API_KEY: { key: 'X-Key', value: 'secret-2' } } })).status, 204, 'sent again: moved');
    assert.equal((await update({ url: 'https://other.example.net/a', authentication: null })).status, 204, 'or dropped');
    const oauth = { OAUTH2: { authorization_url: 'https://auth.example.com/token', client_id: 'c', client_secret: 's' } };
    assert.equal((await update({ authentication: oauth })).status, 204);
    const moved = await update({ authentication: { OAUTH2: { ...oauth.OAUTH2, authorization_url: 'https://evil.example.net/token', client_secret: '******' } } });
    assertFieldError(moved, 400, 'authentication.OAUTH2.client_secret');
  });

  test('a setting that may be null and fails inside: the message says what fails there (it said "must be null")', async () => {
    const sort = await post(`${API}/webhooks/search`, { sort_options: { field_name: 'name' } });
    assertFieldError(sort, 400, 'sort_options.field_name');
    assert.match(sort.body.error.message, /must be one of CREATED, MODIFIED, NAME/);
    const header = await post(`${API}/webhooks/keyed/update`, { additional_headers: [{ key: 'X-A' }] });
    assertFieldError(header, 400, 'additional_headers[0].value');
    assert.match(header.body.error.message, /is required/);
  });

  test('a publish to an org given as another type, a revoke naming nothing, user fields, oversized headers: 4xx naming the field', async () => {
    assertFieldError(await post('/api/v1/events', { type: 'kpi.computed', data: {}, org_identifier: true }), 400, 'org_identifier');
    assert.equal((await post('/api/v1/events', { type: 'kpi.computed', data: {}, org_identifier: 0 })).status, 202, 'an org id as a number');
    assertFieldError(await post(`${API}/auth/token/revoke`, { token: '' }), 400, 'token');
    assertFieldError(await post(`${API}/auth/token/revoke`, { user_identifier: '' }), 400, 'user_identifier');
    assert.equal((await get(`${API}/auth/session/user`)).status, 200, "the caller's token still works");
    assertFieldError(await post(`${API}/users/create`, { name: 'u'.repeat(300), display_name: 'U', password: 'password-1' }), 400, 'name');
    assertFieldError(await post(`${API}/users/create`, { name: 'spaces', display_name: 'S', password: '          ' }), 400, 'password');
    assertFieldError(await post(`${API}/users/create`, { name: 'mail', display_name: 'M', password: 'password-1', email: 'not an email' }), 400, 'email');
    // Headers past Node's 16 KB: refused before Fastify, in the API's error shape.
    const big = await fetch(`${svc.baseUrl}/api/v1/webhooks`, { headers: { authorization: `Bearer ${'x'.repeat(20_000)}` } });
    assert.equal(big.status, 431);
    assert.equal(((await big.json()) as any).error.field, 'headers');
  });

  test('names with a lone surrogate are a 400; a storage destination takes only its own fields', async () => {
    assertFieldError(await post(`${API}/webhooks/create`, { name: 'a\ud800', url: 'http://127.0.0.1:9/x', events: ['kpi.computed'] }), 400, 'name');
    assertFieldError(await post(`${API}/orgs/create`, { name: 'org\udfff' }), 400, 'name');
    assertFieldError(await post(`${API}/users/create`, { name: 'u\ud800', display_name: 'U', password: 'password-1' }), 400, 'name');
    const s3 = { bucket_name: 'my-bucket', region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/R', path_prefix: 'p/' };
    // Another field at any depth is a 400 naming it (it was stored and answered back, then dropped without a word).
    const create = (storage_destination: unknown) => post(`${API}/webhooks/create`, { name: 's3-extra', url: 'http://127.0.0.1:9/x', events: ['kpi.computed'], storage_destination });
    assertFieldError(await create({ storage_type: 'AWS_S3', storage_config: { aws_s3_config: s3 }, x: 3 }), 400, 'storage_destination.x');
    assertFieldError(await create({ storage_type: 'AWS_S3', storage_config: { aws_s3_config: s3, other: 2 } }), 400, 'storage_destination.storage_config.other');
    assertFieldError(await create({ storage_type: 'AWS_S3', storage_config: { aws_s3_config: { ...s3, extra: 1 } } }), 400, 'storage_destination.storage_config.aws_s3_config.extra');
    const created = await create({ storage_type: 'AWS_S3', storage_config: { aws_s3_config: s3 } });
    assert.equal(created.status, 200, created.text);
    const [found] = (await post(`${API}/webhooks/search`, { webhook_identifier: 's3-extra' })).body.webhooks;
    assert.deepEqual(found.storage_destination, { storage_type: 'AWS_S3', storage_config: { aws_s3_config: s3 } });
  });

  test('a JSON body that is not valid, or holds a "__proto__" key: a 400 saying which, and where', async () => {
    const bad = await post('/api/v1/events', undefined, { raw: '{"type":"kpi.alert","data":{"a":1' });
    assertFieldError(bad, 400, 'body');
    assert.match(bad.body.error.message, /not valid JSON \(.*position/);
    const proto = await post('/api/v1/events', undefined, { raw: '{"type":"kpi.alert","data":{"__proto__":{"x":1}}}' });
    assertFieldError(proto, 400, 'body');
    assert.match(proto.body.error.message, /__proto__/);
    assertFieldError(await post('/api/v1/events', undefined, { raw: '' }), 400, 'body');
  });

  test("the console session's checks: a CSRF header of the token's length in characters but not in bytes is a 403 (was a 500); a bearer token cannot be traded for a session", async () => {
    const csrf = await fetch(`${svc.baseUrl}/api/v1/events`, {
      method: 'POST',
      headers: { cookie: 'hookrelay_session=x', 'x-csrf-token': `${'A'.repeat(42)}\u00e9`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(csrf.status, 403);
    assert.equal(((await csrf.json()) as any).error.code, 'CSRF');
    assertFieldError(await post('/api/v1/session/org', { org_id: 0 }), 400, 'session');
    assert.equal((await get(`${API}/auth/session/user`)).status, 200, 'the bearer token was not revoked');
  });

  test('a console session is switched to another org once: of switches sent at once, one gets the new session (20 left 20 live sessions)', async () => {
    const signIn = await fetch(`${svc.baseUrl}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: svc.adminUsername, password: svc.adminPassword }) });
    assert.equal(signIn.status, 200);
    const { csrf_token } = (await signIn.json()) as { csrf_token: string };
    const cookie = signIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const switches = await Promise.all(Array.from({ length: 10 }, () => fetch(`${svc.baseUrl}/api/v1/session/org`, {
      method: 'POST', headers: { cookie, 'x-csrf-token': csrf_token, 'content-type': 'application/json' }, body: JSON.stringify({ org_id: 0 }),
    })));
    const statuses = switches.map((r) => r.status).sort();
    assert.equal(statuses.filter((x) => x === 200).length, 1, statuses.join(' '));
    assert.ok(statuses.every((x) => x === 200 || x === 401), statuses.join(' '));
  });
});
