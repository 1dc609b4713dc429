// What a receiver gets: signatures that `standardwebhooks` and seed 004's recipe verify, URL
// params, additional headers, authentication headers (masked in the attempt history), OAuth2
// tokens, and multipart deliveries that carry an attachment byte for byte.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { engines, type TestService } from './helpers/harness.ts';
import { startReceiver, type Received, startWithApi, stopWithApi, type Api } from './helpers/receiver.ts';

const WHSEC = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const SIG_HEADER = 'X-Webhook-Signature';
const sig = (secret: string) => ({ signature_verification: { type: 'HMAC_SHA256', algorithm: 'SHA256', header: SIG_HEADER, secret } });

/** Seed 004's recipe: hex HMAC-SHA256 of the raw body keyed by the secret string. */
function seed004Verifies(secret: string, r: Received): boolean {
  const signature = crypto.createHmac('sha256', secret).update(r.body).digest('hex');
  return r.headers[SIG_HEADER.toLowerCase()] === `sha256=${signature}`;
}

const swHeaders = (r: Received) => ({
  'webhook-id': String(r.headers['webhook-id']),
  'webhook-timestamp': String(r.headers['webhook-timestamp']),
  'webhook-signature': String(r.headers['webhook-signature']),
});

/** A tiny PDF with binary bytes in it (the %âãÏÓ marker and a NUL-containing stream). */
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.4\n%'),
  Buffer.from([0xe2, 0xe3, 0xcf, 0xd3, 0x0a]),
  Buffer.from('1 0 obj\n<< /Length 8 >>\nstream\n'),
  Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d, 0x80, 0x7f]),
  Buffer.from('\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'),
]);

/** Splits a multipart/form-data body into its parts (headers + raw bytes). */
function parseMultipart(contentType: string, body: Buffer) {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  assert.ok(boundary, `no boundary in ${contentType}`);
  const delim = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: { headers: Record<string, string>; data: Buffer }[] = [];
  let pos = body.indexOf(delim);
  assert.equal(pos, 0, 'the body starts with the boundary');
  for (;;) {
    pos += delim.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break;
    assert.equal(body.subarray(pos, pos + 2).toString(), '\r\n');
    const headEnd = body.indexOf('\r\n\r\n', pos);
    const headers = Object.fromEntries(
      body.subarray(pos + 2, headEnd).toString().split('\r\n').map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), headEnd);
    assert.ok(next > 0, 'every part is closed by a boundary');
    parts.push({ headers, data: body.subarray(headEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}

for (const engine of engines) {
  describe(`signatures, headers and bodies (${engine})`, () => {
    let svc: TestService;
    let api: Api;

    before(async () => {
      ({ svc, api } = await startWithApi(engine, { HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32', HOOKRELAY_RETRY_SCHEDULE: '0.2,0.2,0.2', HOOKRELAY_MAX_ATTACHMENT_BYTES: '4096' }));
    });
    after(async () => {
      await stopWithApi(svc, api);
    });

    test('every delivery, first try and retries, verifies with standardwebhooks and with seed 004 (whsec_ secret)', async (t) => {
      const { rx } = await api.endpoint(t, (r) => (r.n === 1 ? { status: 500 } : { status: 200 }), sig(WHSEC));
      const ids = [await api.publish('kpi.alert', { kpi: 'churn', value: 0.07, note: 'unicode ✓ ü' }), await api.publish('kpi.alert', { i: 2 })];
      for (const id of ids) await api.settled(id);
      assert.equal(rx.requests.length, 3, 'one retry for the first event');
      const wh = new Webhook(WHSEC);
      for (const r of rx.requests) {
        const parsed = wh.verify(r.text(), swHeaders(r)) as any;
        assert.equal(parsed.event, 'kpi.alert');
        assert.ok(seed004Verifies(WHSEC, r), `seed 004 recipe fails for ${r.headers[SIG_HEADER.toLowerCase()]}`);
        assert.match(String(r.headers['webhook-signature']), /^v1,[A-Za-z0-9+/=]+$/);
        assert.ok(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000) < 30, 'webhook-timestamp is now, in seconds');
      }
      assert.deepEqual(rx.requests.map((r) => r.headers['webhook-id']).sort(), [ids[0], ids[0], ids[1]].sort());
      // A tampered body or a wrong secret does not verify: the checks above are not vacuous.
      const r = rx.requests[0];
      assert.throws(() => wh.verify(r.text().replace('churn', 'chum'), swHeaders(r)));
      assert.throws(() => new Webhook(`whsec_${crypto.randomBytes(24).toString('base64')}`).verify(r.text(), swHeaders(r)));
      assert.equal(seed004Verifies('other-secret', r), false);
    });

    test('a secret without whsec_ is used as its UTF-8 bytes for Standard Webhooks', async (t) => {
      const secret = 'plain-shared-secret-ü';
      const { rx } = await api.endpoint(t, { status: 200 }, sig(secret));
      await api.settled(await api.publish('kpi.alert', { plain: true }));
      const [r] = rx.requests;
      new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' }).verify(r.text(), swHeaders(r));
      assert.ok(seed004Verifies(secret, r));
    });

    test('url_params, additional_headers and API_KEY auth arrive; the key is masked in the attempt history', async (t) => {
      const { rx, hook } = await api.endpoint(t, { status: 200 }, {
        url_params: { tenant: 'acme', n: 3, flag: true },
        additional_headers: [{ key: 'X-Team', value: 'data-eng' }, { key: 'X-Env', value: 'test' }],
        authentication: { API_KEY: { key: 'X-Api-Key', value: 'k-secret-123' } },
        ...sig(WHSEC),
      });
      await api.settled(await api.publish('kpi.alert', {}));
      const [r] = rx.requests;
      assert.equal(r.path, '/hook');
      assert.equal(r.query.get('tenant'), 'acme');
      assert.equal(r.query.get('n'), '3');
      assert.equal(r.query.get('flag'), 'true');
      assert.equal(r.headers['x-team'], 'data-eng');
      assert.equal(r.headers['x-env'], 'test');
      assert.equal(r.headers['x-api-key'], 'k-secret-123');
      const [a] = await api.attempts(hook.id);
      const h = lower(a.request_headers);
      assert.equal(h['x-api-key'], '******');
      assert.equal(h['x-team'], 'data-eng');
      assert.equal(h['webhook-id'], r.headers['webhook-id']);
      assert.ok(!JSON.stringify(a).includes('k-secret-123'), 'the key appears nowhere in the attempt');
      assert.ok(!JSON.stringify(a).includes(WHSEC.slice(6)), 'nor does the signing secret');
    });

    test('a receiver that echoes the request: the credential sent is masked in the recorded response body too', async (t) => {
      // The echo: every header as JSON, the authorization also URL-encoded, as debug endpoints and error pages write them.
      const echo = (r: Received) => ({ status: 401, body: `${JSON.stringify(r.headers)} auth=${encodeURIComponent(String(r.headers.authorization ?? ''))}` });
      const cases: [string, Record<string, unknown>, string[]][] = [
        ['kpi.alert', { API_KEY: { key: 'X-Api-Key', value: 'k-"echo"-123' } }, ['k-"echo"-123', 'k-\\"echo\\"-123']],
        ['kpi.computed', { BASIC_AUTH: { username: 'relay', password: 'echo-pass' } }, [Buffer.from('relay:echo-pass').toString('base64')]],
        ['ingestion.completed', { BEARER_TOKEN: 'echo/tok+1' }, ['echo/tok+1', encodeURIComponent('echo/tok+1')]],
      ];
      for (const [type, authentication, secrets] of cases) {
        const { rx, hook } = await api.endpoint(t, echo, { events: [type], authentication });
        const [job] = await api.settled(await api.publish(type, {}));
        assert.equal(job.status, 'FAILED');
        assert.ok(rx.requests.length >= 1);
        const [a] = await api.attempts(hook.id);
        assert.match(a.response_body, /\*\*\*\*\*\*/, a.response_body);
        for (const secret of secrets) assert.ok(!a.response_body.includes(secret) && !JSON.stringify(a).includes(secret), `${type}: ${secret} in ${a.response_body}`);
      }
    });

    test('url_params are appended to a URL that already has a query', async (t) => {
      const rx = await startReceiver();
      api.receivers.push(rx);
      const hook = await api.webhook(`${rx.url}?fixed=1`, { events: ['kpi.computed'], url_params: { extra: 'two words' } });
      t.after(() => api.req('POST', '/api/rest/2.0/webhooks/delete', { webhook_identifiers: [hook.id] }));
      await api.settled(await api.publish('kpi.computed', {}));
      assert.equal(rx.requests[0].query.get('fixed'), '1');
      assert.equal(rx.requests[0].query.get('extra'), 'two words');
    });

    test('BASIC_AUTH arrives as Basic credentials and is masked', async (t) => {
      const { rx, hook } = await api.endpoint(t, { status: 200 }, { authentication: { BASIC_AUTH: { username: 'relay', password: 'p@ss:word' } } });
      await api.settled(await api.publish('kpi.alert', {}));
      assert.equal(rx.requests[0].headers.authorization, `Basic ${Buffer.from('relay:p@ss:word').toString('base64')}`);
      const [a] = await api.attempts(hook.id);
      assert.equal(lower(a.request_headers).authorization, '******');
    });

    test('BEARER_TOKEN arrives, bare or as stored "Bearer …", and is masked', async (t) => {
      const { rx: bare, hook } = await api.endpoint(t, { status: 200 }, { events: ['ingestion.completed'], authentication: { BEARER_TOKEN: 'tok-abc' } });
      const { rx: prefixed } = await api.endpoint(t, { status: 200 }, { events: ['ingestion.failed'], authentication: { BEARER_TOKEN: 'Bearer tok-def' } });
      await api.settled(await api.publish('ingestion.completed', {}));
      await api.settled(await api.publish('ingestion.failed', {}));
      assert.equal(bare.requests[0].headers.authorization, 'Bearer tok-abc');
      assert.equal(prefixed.requests[0].headers.authorization, 'Bearer tok-def');
      const [a] = await api.attempts(hook.id);
      assert.equal(lower(a.request_headers).authorization, '******');
      assert.ok(!JSON.stringify(a).includes('tok-abc'));
    });

    test('OAUTH2: token fetched with client credentials, cached, fetched again once on a 401', async (t) => {
      let issued = 0;
      const tokens = await startReceiver(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_token: `tok-${++issued}`, expires_in: 3600 }) }));
      api.receivers.push(tokens);
      let accept = 'Bearer tok-1';
      const { rx } = await api.endpoint(t, (r) => ({ status: r.headers.authorization === accept ? 200 : 401 }), {
        authentication: { OAUTH2: { authorization_url: tokens.url, client_id: 'cid', client_secret: 'csecret' } },
      });
      await api.settled(await api.publish('kpi.alert', { i: 1 }));
      await api.settled(await api.publish('kpi.alert', { i: 2 }));
      assert.equal(tokens.requests.length, 1, 'the token is cached');
      const form = new URLSearchParams(tokens.requests[0].text());
      assert.equal(form.get('grant_type'), 'client_credentials');
      assert.equal(form.get('client_id'), 'cid');
      assert.equal(form.get('client_secret'), 'csecret');
      accept = 'Bearer tok-2'; // the receiver revokes tok-1
      const [job] = await api.settled(await api.publish('kpi.alert', { i: 3 }));
      assert.equal(job.status, 'SUCCESS');
      assert.equal(job.try_count, 1, 'the 401 retry with a fresh token is part of the same attempt');
      assert.equal(tokens.requests.length, 2);
      assert.deepEqual(rx.requests.map((r) => r.headers.authorization), ['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
    });

    test('a multipart publish reaches the receiver as multipart with the file byte for byte, signed', async (t) => {
      const { rx } = await api.endpoint(t, { status: 200 }, { events: ['dashboard.ready'], ...sig(WHSEC) });
      const form = new FormData();
      form.append('event', JSON.stringify({ type: 'dashboard.ready', data: { dashboard: 'Q3 sales' } }));
      form.append('file', new Blob([PDF], { type: 'application/pdf' }), 'report.pdf');
      const res = await fetch(`${svc.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${svc.adminToken}` }, body: form });
      assert.equal(res.status, 202, await res.clone().text());
      const { id } = (await res.json()) as { id: string };
      const [job] = await api.settled(id);
      assert.equal(job.status, 'SUCCESS');
      const [r] = rx.requests;
      const ct = String(r.headers['content-type']);
      assert.match(ct, /^multipart\/form-data; boundary=/);
      const parts = parseMultipart(ct, r.body);
      assert.equal(parts.length, 2);
      assert.match(parts[0].headers['content-disposition'], /name="event"/);
      const meta = JSON.parse(parts[0].data.toString('utf8'));
      assert.equal(meta.event, 'dashboard.ready');
      assert.deepEqual(meta.data, { dashboard: 'Q3 sales' });
      assert.match(parts[1].headers['content-disposition'], /filename="report.pdf"/);
      assert.equal(parts[1].headers['content-type'], 'application/pdf');
      assert.ok(parts[1].data.equals(PDF), `attachment differs: got ${parts[1].data.length} bytes, sent ${PDF.length}`);
      // Signatures cover the exact multipart bytes. (standardwebhooks' JS verifier decodes a Buffer
      // payload as UTF-8 before signing, so it cannot check a body with binary bytes; the Standard
      // Webhooks HMAC is recomputed here over the raw bytes instead.)
      assert.ok(seed004Verifies(WHSEC, r));
      const key = Buffer.from(WHSEC.slice(6), 'base64');
      const mac = crypto.createHmac('sha256', key).update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.`).update(r.body).digest('base64');
      assert.equal(r.headers['webhook-signature'], `v1,${mac}`);
    });

    test('a multipart LIVEBOARD_SCHEDULE publish carries its CSV to the Liveboard webhook', async (t) => {
      const configure = (channels: string[]) =>
        api.ok('POST', '/api/rest/2.0/system/preferences/communication-channels/configure', { org_preferences: [{ org_identifier: '0', preferences: [{ event_type: 'LIVEBOARD_SCHEDULE', channels }] }] }, 204);
      await configure(['WEBHOOK']);
      t.after(() => configure(['EMAIL']));
      const { rx, hook } = await api.endpoint(t, { status: 200 }, { events: ['LIVEBOARD_SCHEDULE'] });
      const csv = Buffer.from('region,revenue\r\nEMEA,12.5\r\n"São Paulo",7\r\n');
      const form = new FormData();
      form.append('event', JSON.stringify({ type: 'LIVEBOARD_SCHEDULE', data: { metadataObject: { id: 'lb', name: 'LB' }, scheduleDetails: { fileFormat: 'csv' } } }));
      form.append('file', new Blob([csv], { type: 'text/csv' }), 'export.csv');
      const res = await postForm(form);
      assert.equal(res.status, 202, res.text);
      assert.equal((await api.settled(JSON.parse(res.text).id))[0].status, 'SUCCESS');
      const [r] = rx.requests;
      const parts = parseMultipart(String(r.headers['content-type']), r.body);
      const meta = JSON.parse(parts[0].data.toString());
      assert.equal(meta.eventType, 'LIVEBOARD_SCHEDULE');
      assert.equal(meta.data.channelID, hook.id);
      assert.match(parts[1].headers['content-disposition'], /filename="export.csv"/);
      assert.ok(parts[1].data.equals(csv));
    });

    test('a multipart publish rejects an unsupported file type and an oversized set of files', async (t) => {
      await api.endpoint(t, { status: 200 }, { events: ['dashboard.ready'] });
      const form = new FormData();
      form.append('event', JSON.stringify({ type: 'dashboard.ready', data: {} }));
      form.append('file', new Blob(['MZ'], { type: 'application/octet-stream' }), 'tool.exe');
      const bad = await postForm(form);
      assert.equal(bad.status, 400, bad.text);
      const big = new FormData();
      big.append('event', JSON.stringify({ type: 'dashboard.ready', data: {} }));
      big.append('a', new Blob(['x,y\n'.repeat(600)], { type: 'text/csv' }), 'a.csv');
      big.append('b', new Blob(['x,y\n'.repeat(600)], { type: 'text/csv' }), 'b.csv');
      const tooBig = await postForm(big);
      assert.equal(tooBig.status, 413, tooBig.text);
    });

    async function postForm(form: FormData) {
      const res = await fetch(`${svc.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${svc.adminToken}` }, body: form });
      return { status: res.status, text: await res.text() };
    }
  });
}

const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
