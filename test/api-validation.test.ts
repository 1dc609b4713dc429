// Raw-HTTP tests of every 400/413 case of issue 2 for the webhook, org and token endpoints: each
// asserts the status and that the JSON error body names the offending field. Runs per engine.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, engines, startService, type TestService } from './helpers/harness.ts';

const API = '/api/rest/2.0';
type Res = Awaited<ReturnType<typeof call>>;

/** Status is `status` and `error.field` (and the message) name the field. */
function assertFieldError(res: Res, status: number, field: string | RegExp) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  const err = res.body?.error;
  assert.ok(err && typeof err.message === 'string', `no JSON error body: ${res.text}`);
  if (typeof field === 'string') assert.equal(err.field, field, res.text);
  else assert.match(String(err.field), field, res.text);
  assert.ok(err.message.includes(err.field), `message does not name the field: ${err.message}`);
}

const S3 = (c: Record<string, unknown>) => ({
  storage_type: 'AWS_S3',
  storage_config: { aws_s3_config: { bucket_name: 'my-bucket.example', region: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/HookRelay', ...c } },
});
const SIG = (c: Record<string, unknown> = {}) => ({ type: 'HMAC_SHA256', header: 'X-Hook-Signature', algorithm: 'SHA256', secret: 'sig-secret-1', ...c });
const S3F = 'storage_destination.storage_config.aws_s3_config';

// [title, fields merged over a valid webhook (undefined deletes), expected error field]
const CREATE_400: [string, Record<string, unknown>, string | RegExp][] = [
  ['url missing', { url: undefined }, 'url'],
  ['url relative', { url: '/hooks/in' }, 'url'],
  ['url without scheme', { url: 'example.com/hook' }, 'url'],
  ['url ftp', { url: 'ftp://example.com/hook' }, 'url'],
  ['url file', { url: 'file:///etc/passwd' }, 'url'],
  ['CR in header key', { additional_headers: [{ key: 'X-A\rB', value: 'v' }] }, 'additional_headers[0].key'],
  ['LF in header key', { additional_headers: [{ key: 'X-A\nInjected', value: 'v' }] }, 'additional_headers[0].key'],
  ['LF in header value', { additional_headers: [{ key: 'X-Ok', value: 'ok' }, { key: 'X-B', value: 'a\nInjected: 1' }] }, 'additional_headers[1].value'],
  ['CR in header value', { additional_headers: [{ key: 'X-B', value: 'a\rb' }] }, 'additional_headers[0].value'],
  ['header overrides Host', { additional_headers: [{ key: 'Host', value: 'evil.example' }] }, 'additional_headers[0].key'],
  ['header overrides host (lower case)', { additional_headers: [{ key: 'host', value: 'evil.example' }] }, 'additional_headers[0].key'],
  ['header overrides Content-Length', { additional_headers: [{ key: 'Content-Length', value: '1' }] }, 'additional_headers[0].key'],
  ['header overrides CONTENT-TYPE', { additional_headers: [{ key: 'CONTENT-TYPE', value: 'text/plain' }] }, 'additional_headers[0].key'],
  // The HTTP client refuses to send these: every delivery failed, and each refusal held a pooled connection.
  ['Expect header', { additional_headers: [{ key: 'Expect', value: '100-continue' }] }, 'additional_headers[0].key'],
  ['Upgrade header', { additional_headers: [{ key: 'upgrade', value: 'h2c' }] }, 'additional_headers[0].key'],
  ['Keep-Alive header', { additional_headers: [{ key: 'Keep-Alive', value: 'timeout=5' }] }, 'additional_headers[0].key'],
  ['Expect as the API key header', { authentication: { API_KEY: { key: 'Expect', value: 'x' } } }, 'authentication.API_KEY.key'],
  ['header overrides Authorization with authentication set',
    { authentication: { BEARER_TOKEN: 'tok-1' }, additional_headers: [{ key: 'authorization', value: 'Bearer other' }] }, 'additional_headers[0].key'],
  ['header overrides the signature header (case-insensitive)',
    { signature_verification: SIG(), additional_headers: [{ key: 'x-hook-SIGNATURE', value: 'forged' }] }, 'additional_headers[0].key'],
  ['empty API_KEY value', { authentication: { API_KEY: { key: 'X-Api-Key', value: '' } } }, 'authentication.API_KEY.value'],
  ['empty BASIC_AUTH password', { authentication: { BASIC_AUTH: { username: 'u', password: '' } } }, 'authentication.BASIC_AUTH.password'],
  ['missing BASIC_AUTH password', { authentication: { BASIC_AUTH: { username: 'u' } } }, 'authentication.BASIC_AUTH.password'],
  ['empty BEARER_TOKEN', { authentication: { BEARER_TOKEN: '' } }, 'authentication.BEARER_TOKEN'],
  ['empty OAUTH2 client_secret',
    { authentication: { OAUTH2: { authorization_url: 'https://auth.example/token', client_id: 'c', client_secret: '' } } }, 'authentication.OAUTH2.client_secret'],
  ['empty signature secret', { signature_verification: SIG({ secret: '' }) }, 'signature_verification.secret'],
  ['authentication with two kinds', { authentication: { API_KEY: { key: 'X-Api-Key', value: 'k' }, BEARER_TOKEN: 't' } }, 'authentication'],
  ['authentication with zero kinds', { authentication: {} }, 'authentication'],
  ['bucket with upper case and underscore', { storage_destination: S3({ bucket_name: 'My_Bucket' }) }, `${S3F}.bucket_name`],
  ['bucket too short', { storage_destination: S3({ bucket_name: 'ab' }) }, `${S3F}.bucket_name`],
  ['bucket as IP address', { storage_destination: S3({ bucket_name: '192.168.1.1' }) }, `${S3F}.bucket_name`],
  ['bucket starting with hyphen', { storage_destination: S3({ bucket_name: '-bucket' }) }, `${S3F}.bucket_name`],
  ['bucket with ".."', { storage_destination: S3({ bucket_name: 'my..bucket' }) }, `${S3F}.bucket_name`],
  ['role ARN not an ARN', { storage_destination: S3({ role_arn: 'HookRelayRole' }) }, `${S3F}.role_arn`],
  ['role ARN with short account', { storage_destination: S3({ role_arn: 'arn:aws:iam::123:role/HookRelay' }) }, `${S3F}.role_arn`],
  ['role ARN of a user', { storage_destination: S3({ role_arn: 'arn:aws:iam::123456789012:user/bob' }) }, `${S3F}.role_arn`],
  ['region missing', { storage_destination: S3({ region: undefined }) }, `${S3F}.region`],
  // 511 "é" are 1,022 bytes: every key made from them was over S3's 1,024 and every upload failed.
  ['path prefix over 512 bytes of UTF-8', { storage_destination: S3({ path_prefix: `${'é'.repeat(300)}/` }) }, `${S3F}.path_prefix`],
  ['unknown event type', { events: ['kpi.alert', 'page.viewed'] }, /^events/],
];

for (const engine of engines) {
  describe(`API validation (${engine})`, () => {
    let svc: TestService;
    let n = 0;
    const post = (path: string, body?: unknown, opts: { raw?: string; token?: string } = {}) =>
      call(svc.baseUrl, 'POST', `${API}${path}`, { token: opts.token ?? svc.adminToken, body, raw: opts.raw });
    const hook = (over: Record<string, unknown> = {}) => {
      const h: Record<string, unknown> = { name: `wh-${++n}`, url: 'https://example.com/hook', events: ['kpi.alert'], ...over };
      for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
      return h;
    };
    const create = async (over: Record<string, unknown> = {}) => {
      const res = await post('/webhooks/create', hook(over));
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    const find = async (id: string, token?: string) => {
      const res = await post('/webhooks/search', { webhook_identifier: id }, { token });
      assert.equal(res.status, 200, res.text);
      return res.body.webhooks as any[];
    };

    before(async () => {
      svc = await startService({ engine });
    });
    after(async () => {
      await svc?.close();
    });

    describe('webhook create: 400 naming the field', () => {
      for (const [title, over, field] of CREATE_400) {
        test(title, async () => {
          const body = hook(over); // nested undefined (region) is dropped by JSON.stringify
          const res = await post('/webhooks/create', body);
          assertFieldError(res, 400, field);
          assert.equal((await find(body.name as string)).length, 0, 'a rejected webhook was stored');
        });
      }

      // WHATWG URL parsing silently drops CR/LF/TAB and trims spaces, so `new URL()` alone accepts
      // these; the stored url must then not keep them (400 on url, or a normalised url).
      for (const url of ['https://example.com/a\nb', 'https://example.com/a\r\nX-Injected: 1', 'https://exa\tmple.com/', ' https://example.com/x ']) {
        test(`url with control characters or surrounding spaces: ${JSON.stringify(url)}`, async () => {
          const res = await post('/webhooks/create', hook({ url }));
          if (res.status === 200) assert.doesNotMatch(res.body.url, /[\s\x00-\x1f]/, `stored url ${JSON.stringify(res.body.url)}`);
          else assertFieldError(res, 400, 'url');
        });
      }

      test('a misspelt field is a 400 naming it, not dropped (a typo of signature_verification made an unsigned webhook)', async () => {
        const sig = { type: 'HMAC_SHA256', header: 'X-Sig', algorithm: 'SHA256', secret: 'a-signing-secret' };
        const typo = await post('/webhooks/create', hook({ signature_verfication: sig }));
        assertFieldError(typo, 400, 'signature_verfication');
        assert.match(typo.body.error.message, /^signature_verfication: is not a field of this request/);
        assertFieldError(await post('/webhooks/create', hook({ signature_verification: { ...sig, secrett: 'x' } })), 400, 'signature_verification.secrett');
        const w = await create({ signature_verification: sig });
        assertFieldError(await post(`/webhooks/${w.id}/update`, { descripton: 'x' }), 400, 'descripton');
        const single = await call(svc.baseUrl, 'POST', '/api/v1/events', { token: svc.adminToken, body: { type: 'kpi.alert', data: {}, idempotencyKey: 'k' } });
        assertFieldError(single, 400, 'idempotencyKey');
        const batch = await call(svc.baseUrl, 'POST', '/api/v1/events/batch', { token: svc.adminToken, body: { events: [{ type: 'kpi.alert', data: {}, idempotencyKey: 'k' }] } });
        assertFieldError(batch, 400, 'events[0].idempotencyKey');
        // Free-form objects stay free: an event's data.
        const ok = await call(svc.baseUrl, 'POST', '/api/v1/events', { token: svc.adminToken, body: { type: 'kpi.alert', data: { anything: { at: 'all' } } } });
        assert.equal(ok.status, 202, ok.text);
      });

      test('a credential header (Authorization, Cookie) is refused in additional_headers, where it was shown in plain text; valid storage destination accepted', async () => {
        for (const key of ['Authorization', 'cookie', 'Proxy-Authorization']) {
          const res = await post('/webhooks/create', hook({ additional_headers: [{ key: 'X-Ok', value: 'v' }, { key, value: 'Bearer x' }] }));
          assertFieldError(res, 400, 'additional_headers[1].key');
          assert.match(res.body.error.message, /authentication/);
        }
        const w = await create({ authentication: { API_KEY: { key: 'Authorization', value: 'Token x' } }, storage_destination: S3({ path_prefix: 'hooks/' }) });
        assert.equal(w.authentication.API_KEY.value, '******', 'the same header as an API key: masked');
        assert.equal(w.storage_destination.storage_config.aws_s3_config.bucket_name, 'my-bucket.example');
      });

      test('a header named like the signature header is allowed when no signature is configured', async () => {
        await create({ additional_headers: [{ key: 'X-Hook-Signature', value: 'static' }] });
      });

      test('duplicate name in the same org is a 400 on name', async () => {
        await create({ name: 'dup-name' });
        assertFieldError(await post('/webhooks/create', hook({ name: 'dup-name' })), 400, 'name');
        assert.equal((await find('dup-name')).length, 1);
      });

      test('a second LIVEBOARD_SCHEDULE webhook in the org is a 400 that says so; product events are unlimited', async () => {
        await create({ name: 'lb-1', events: ['LIVEBOARD_SCHEDULE'] });
        const res = await post('/webhooks/create', hook({ name: 'lb-2', events: ['kpi.alert', 'LIVEBOARD_SCHEDULE'] }));
        assertFieldError(res, 400, /^events/);
        assert.match(res.body.error.message, /LIVEBOARD_SCHEDULE/);
        assert.equal((await find('lb-2')).length, 0);
        for (let i = 0; i < 3; i++) await create({ events: ['kpi.alert', 'ingestion.failed'] });
        // Adding it by update to another webhook is refused the same way.
        const other = await create({ events: ['kpi.alert'] });
        assertFieldError(await post(`/webhooks/${other.id}/update`, { events: ['LIVEBOARD_SCHEDULE'] }), 400, /^events/);
        assert.deepEqual((await find(other.id))[0].events, ['kpi.alert']);
      });

      test('another org can have its own LIVEBOARD_SCHEDULE webhook', async () => {
        const org = await post('/orgs/create', { name: 'Second org' });
        assert.equal(org.status, 200, org.text);
        const u = await post('/users/create', { name: 'second-hooks', display_name: 'S', password: 'second-pass-1', org_identifiers: [String(org.body.id)], privileges: ['CAN_MANAGE_WEBHOOKS'] });
        assert.equal(u.status, 200, u.text);
        const tok = await call(svc.baseUrl, 'POST', `${API}/auth/token/full`, { body: { username: 'second-hooks', password: 'second-pass-1', org_id: org.body.id } });
        assert.equal(tok.status, 200, tok.text);
        const res = await post('/webhooks/create', hook({ name: 'lb-1', events: ['LIVEBOARD_SCHEDULE'] }), { token: tok.body.token });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.org.id, String(org.body.id));
      });
    });

    describe('body limits and malformed JSON', () => {
      const big = (size: number) => JSON.stringify(hook({ description: 'x'.repeat(size) }));
      test('create with a body over 1 MB is 413', async () => {
        const res = await post('/webhooks/create', undefined, { raw: big(1_100_000) });
        assert.equal(res.status, 413, res.text);
        assert.equal(typeof res.body?.error?.message, 'string');
        assert.equal(res.body.error.field, 'body');
      });
      test('update with a body over 1 MB is 413', async () => {
        const w = await create();
        const res = await post(`/webhooks/${w.id}/update`, undefined, { raw: JSON.stringify({ description: 'y'.repeat(1_100_000) }) });
        assert.equal(res.status, 413, res.text);
        assert.equal((await find(w.id))[0].description, null);
      });
      test('a body just under 1 MB is accepted', async () => {
        const raw = big(1_000_000);
        assert.ok(Buffer.byteLength(raw) < 1_048_576);
        assert.equal((await post('/webhooks/create', undefined, { raw })).status, 200);
      });
      for (const path of ['/webhooks/create', '/webhooks/search', '/webhooks/delete', '/orgs/create']) {
        test(`malformed JSON on ${path} is 400 naming the body`, async () => {
          assertFieldError(await post(path, undefined, { raw: '{"name": "x", "url": ' }), 400, 'body');
        });
      }
      test('malformed JSON on update is 400', async () => {
        const w = await create();
        assertFieldError(await post(`/webhooks/${w.id}/update`, undefined, { raw: "{name: 'single'}" }), 400, 'body');
      });
    });

    describe('webhook update', () => {
      const full = () => ({
        description: 'original description',
        url_params: { tenant: 'a' },
        events: ['kpi.alert', 'dashboard.ready'],
        authentication: { BASIC_AUTH: { username: 'alice', password: 'basic-pass-orig' } },
        signature_verification: SIG({ secret: 'sig-secret-orig' }),
        additional_headers: [{ key: 'X-Team', value: 'blue' }],
      });

      test('changes only the fields given', async () => {
        const w = await create(full());
        // (The same origin: a new one needs the credentials sent again, see api-hostile-input.)
        const res = await post(`/webhooks/${w.id}/update`, { url: 'https://example.com/other/in' });
        assert.equal(res.status, 204, res.text);
        const [after] = await find(w.id);
        assert.equal(after.url, 'https://example.com/other/in');
        for (const k of ['name', 'description', 'url_params', 'events', 'authentication', 'signature_verification', 'additional_headers', 'creation_time_in_millis', 'created_by']) {
          assert.deepEqual(after[k], w[k], `field ${k} changed`);
        }
        assert.ok(after.modification_time_in_millis >= w.modification_time_in_millis);
        assert.equal(after.last_modified_by?.name, svc.adminUsername);
      });

      test('by name, renaming; explicit null clears optional fields', async () => {
        const w = await create(full());
        const res = await post(`/webhooks/${w.name}/update`, { name: `${w.name}-renamed`, description: null, additional_headers: null, authentication: null, url_params: null });
        assert.equal(res.status, 204, res.text);
        const [after] = await find(w.id);
        assert.equal(after.name, `${w.name}-renamed`);
        assert.equal(after.description, null);
        assert.equal(after.authentication, null);
        assert.equal(after.url_params, null);
        assert.ok(after.additional_headers === null || after.additional_headers.length === 0, JSON.stringify(after.additional_headers));
        assert.deepEqual(after.signature_verification, w.signature_verification);
        assert.equal((await find(w.name)).length, 0);
      });

      test('null on a required field is a 400 naming it', async () => {
        const w = await create();
        for (const k of ['name', 'url', 'events']) assertFieldError(await post(`/webhooks/${w.id}/update`, { [k]: null }), 400, new RegExp(`^${k}`));
      });

      // [title, full() fields to set first, update body, field]
      const UPDATE_400: [string, Record<string, unknown>, Record<string, unknown>, string | RegExp][] = [
        ['url ftp', {}, { url: 'ftp://x.example/' }, 'url'],
        ['LF in header value', {}, { additional_headers: [{ key: 'X-A', value: 'a\nb' }] }, 'additional_headers[0].value'],
        ['Authorization header when the stored webhook has authentication', full(), { additional_headers: [{ key: 'Authorization', value: 'x' }] }, 'additional_headers[0].key'],
        ['header equal to the stored signature header', full(), { additional_headers: [{ key: 'X-HOOK-SIGNATURE', value: 'x' }] }, 'additional_headers[0].key'],
        ['empty bearer token', {}, { authentication: { BEARER_TOKEN: '' } }, 'authentication.BEARER_TOKEN'],
        ['two authentication kinds', {}, { authentication: { BEARER_TOKEN: 't', BASIC_AUTH: { username: 'u', password: 'p' } } }, 'authentication'],
        ['bad bucket', {}, { storage_destination: S3({ bucket_name: 'Bad_Bucket' }) }, `${S3F}.bucket_name`],
        ['unknown event', {}, { events: ['nope'] }, /^events/],
      ];
      for (const [title, setup, body, field] of UPDATE_400) {
        test(`400: ${title}; nothing changes`, async () => {
          const w = await create(setup);
          assertFieldError(await post(`/webhooks/${w.id}/update`, body), 400, field);
          assert.deepEqual((await find(w.id))[0], w);
        });
      }

      test('renaming onto an existing name is a 400 on name', async () => {
        const a = await create();
        const b = await create();
        assertFieldError(await post(`/webhooks/${b.id}/update`, { name: a.name }), 400, 'name');
        assert.equal((await find(b.id))[0].name, b.name);
      });

      test('unknown webhook: a 400 with code NOT_FOUND (the SDK reads no 404 body)', async () => {
        const res = await post('/webhooks/00000000-0000-0000-0000-000000000000/update', { url: 'https://x.example/' });
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.error.code, 'NOT_FOUND');
      });

      test('echoing the masked secret "******" keeps the stored secrets (checked in the store)', async () => {
        const w = await create(full());
        assert.equal(w.authentication.BASIC_AUTH.password, '******');
        const res = await post(`/webhooks/${w.id}/update`, {
          authentication: { BASIC_AUTH: { username: 'bob', password: '******' } },
          signature_verification: { ...w.signature_verification, header: 'X-Sig-2' },
        });
        assert.equal(res.status, 204, res.text);
        const { store, box } = svc.running.ctx;
        const row: any = await store.findWebhook(0, w.id);
        assert.equal(row.authentication.BASIC_AUTH.username, 'bob');
        assert.notEqual(row.authentication.BASIC_AUTH.password, 'basic-pass-orig', 'secret stored in plaintext');
        assert.equal(box.decrypt(row.authentication.BASIC_AUTH.password), 'basic-pass-orig');
        assert.equal(row.signatureVerification.header, 'X-Sig-2');
        assert.equal(box.decrypt(row.signatureVerification.secret), 'sig-secret-orig');
        // A new value does replace it.
        assert.equal((await post(`/webhooks/${w.id}/update`, { authentication: { BASIC_AUTH: { username: 'bob', password: 'new-pass-2' } } })).status, 204);
        const row2: any = await store.findWebhook(0, w.id);
        assert.equal(box.decrypt(row2.authentication.BASIC_AUTH.password), 'new-pass-2');
      });
    });

    test('secrets never appear in plaintext in any response', async () => {
      const secrets = ['apikey-SECRET-1', 'basic-SECRET-2', 'bearer-SECRET-3', 'oauth-SECRET-4', 'sig-SECRET-5', 'sig-SECRET-6'];
      const auths = [
        { API_KEY: { key: 'X-Api-Key', value: secrets[0] } },
        { BASIC_AUTH: { username: 'carol', password: secrets[1] } },
        { BEARER_TOKEN: secrets[2] },
        { OAUTH2: { authorization_url: 'https://auth.example/token', client_id: 'cid', client_secret: secrets[3] } },
      ];
      const texts: string[] = [];
      const ids: string[] = [];
      for (const [i, authentication] of auths.entries()) {
        const res = await post('/webhooks/create', hook({ name: `secret-${i}`, authentication, signature_verification: SIG({ secret: secrets[4] }) }));
        assert.equal(res.status, 200, res.text);
        texts.push(res.text);
        ids.push(res.body.id);
        assert.equal(res.body.signature_verification.secret, '******');
      }
      const search = await post('/webhooks/search', { record_size: -1 });
      texts.push(search.text);
      assert.ok(search.body.webhooks.length >= 4);
      const upd = await post(`/webhooks/${ids[0]}/update`, { signature_verification: SIG({ secret: secrets[5] }) });
      assert.equal(upd.status, 204);
      texts.push(upd.text);
      const bad = await post(`/webhooks/${ids[1]}/update`, { authentication: { API_KEY: { key: 'X-K', value: `${secrets[0]}\nx` } } });
      assert.equal(bad.status, 400);
      texts.push(bad.text);
      texts.push((await post('/webhooks/search', { webhook_identifier: ids[0] })).text);
      const del = await post('/webhooks/delete', { webhook_identifiers: ids });
      assert.equal(del.status, 200, del.text);
      assert.equal(del.body.deleted_webhooks.length, 4);
      texts.push(del.text);
      for (const t of texts) for (const s of secrets) assert.ok(!t.includes(s), `secret ${s} leaked in ${t.slice(0, 300)}`);
    });

    describe('orgs', () => {
      test('duplicate org name is a 400 naming name', async () => {
        assert.equal((await post('/orgs/create', { name: 'Dup Org' })).status, 200);
        assertFieldError(await post('/orgs/create', { name: 'Dup Org' }), 400, 'name');
        const found = await post('/orgs/search', { org_identifier: 'Dup Org' });
        assert.equal(found.body.length, 1);
      });
      test('empty org name is a 400 naming name', async () => {
        assertFieldError(await post('/orgs/create', { name: '' }), 400, 'name');
      });
      for (const id of ['0', 'Primary']) {
        test(`deleting the Primary org by "${id}" is a 400`, async () => {
          assertFieldError(await post(`/orgs/${id}/delete`), 400, 'org_identifier');
          assert.equal((await post('/orgs/search', { org_identifier: '0' })).body.length, 1);
        });
      }
      for (const [op, body] of [['update', { description: 'd' }], ['delete', undefined]] as const) {
        for (const id of ['987654321', 'No Such Org']) {
          test(`${op} of unknown org "${id}" is a 400 with code NOT_FOUND`, async () => {
            const res = await post(`/orgs/${encodeURIComponent(id)}/${op}`, body);
            assert.equal(res.status, 400, res.text);
            assert.equal(res.body.error.code, 'NOT_FOUND');
            assert.equal(res.body?.error?.field, 'org_identifier');
          });
        }
      }
    });

    describe('auth/token/full', () => {
      const token = (body: Record<string, unknown>) => call(svc.baseUrl, 'POST', `${API}/auth/token/full`, { body });
      test('wrong password is 401 without a token', async () => {
        const res = await token({ username: svc.adminUsername, password: 'wrong-password' });
        assert.equal(res.status, 401, res.text);
        assert.equal(res.body?.token, undefined);
        assert.equal(typeof res.body?.error?.message, 'string');
      });
      test('unknown user is 401', async () => {
        assert.equal((await token({ username: 'nobody-here', password: 'whatever-1' })).status, 401);
      });
      for (const v of [0, -5, 100_000_000]) {
        test(`validity_time_in_sec ${v} is a 400 naming it`, async () => {
          assertFieldError(await token({ username: svc.adminUsername, password: svc.adminPassword, validity_time_in_sec: v }), 400, 'validity_time_in_sec');
        });
      }
      test('validity_time_in_sec in range sets the expiry', async () => {
        const res = await token({ username: svc.adminUsername, password: svc.adminPassword, validity_time_in_sec: 120 });
        assert.equal(res.status, 200, res.text);
        const span = res.body.expiration_time_in_millis - res.body.creation_time_in_millis;
        assert.ok(Math.abs(span - 120_000) < 2000, `span ${span}`);
      });
    });
  });
}
