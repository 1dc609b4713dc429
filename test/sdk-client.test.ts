// Wire compatibility with the official client: drives a running HookRelay through
// @thoughtspot/rest-api-sdk, unmodified, for webhooks, orgs, auth tokens and communication-channel
// preferences. Runs once per engine.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApiException,
  AuthenticationApi,
  OrgsApi,
  SystemApi,
  WebhooksApi,
  createBasicConfig,
  createBearerAuthenticationConfig,
} from '@thoughtspot/rest-api-sdk';
import { engines, startService, type TestService } from './helpers/harness.ts';

/** Class instances from the SDK's deserializer -> plain JSON values, for deepEqual. */
const plain = (v: unknown): any => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** Every plaintext secret used below; no response may contain any of them. */
const SECRETS = {
  apiKey: 'ak-plain-4f1e9c2b7d',
  basicPassword: 'basic-pass-9a8b7c6d',
  bearer: 'bearer-tok-31415926',
  clientSecret: 'oauth-cs-27182818',
  sigSecret: 'sig-secret-16180339',
};

function assertNoPlaintext(value: unknown, what: string) {
  const text = JSON.stringify(value);
  for (const [k, s] of Object.entries(SECRETS)) assert.ok(!text.includes(s), `${what} leaks the ${k} plaintext: ${text}`);
}

function assertMasked(masked: unknown, plaintext: string, what: string) {
  assert.equal(typeof masked, 'string', `${what} should be a masked string, got ${JSON.stringify(masked)}`);
  assert.ok((masked as string).length > 0, `${what} is empty`);
  assert.notEqual(masked, plaintext, `${what} is not masked`);
}

/** Awaits an SDK call that must fail with ApiException and one of `codes`; returns the exception. */
async function rejectsWith(p: Promise<unknown>, codes: number[], what: string): Promise<ApiException<any>> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `${what}: expected ApiException, got ${err}`);
    assert.ok(codes.includes(err.code), `${what}: expected HTTP ${codes.join('/')}, got ${err.code}: ${JSON.stringify(err.body)}`);
    return err;
  }
  assert.fail(`${what}: expected HTTP ${codes.join('/')}, but the call succeeded`);
}

const S3 = {
  storage_type: 'AWS_S3' as const,
  storage_config: {
    aws_s3_config: {
      bucket_name: 'my-webhook-files',
      region: 'us-east-1',
      role_arn: 'arn:aws:iam::123456789012:role/HookRelayDelivery',
      external_id: 'hookrelay-ext-42',
    },
  },
};
const SIG = { type: 'HMAC_SHA256' as const, header: 'X-HookRelay-Signature', algorithm: 'SHA256' as const, secret: SECRETS.sigSecret };

// Created in this (shuffled) order so that creation order differs from name order.
const SPECS: Record<string, any> = {
  charlie: {
    name: 'charlie-hook',
    description: 'bearer auth, kpi alerts',
    url: 'https://hooks.example.com/charlie',
    events: ['kpi.alert'],
    authentication: { BEARER_TOKEN: SECRETS.bearer },
    additional_headers: [{ key: 'X-Team', value: 'charlie' }],
  },
  alpha: {
    name: 'alpha-hook',
    description: 'every field',
    url: 'https://hooks.example.com/alpha',
    url_params: { tenant: 'acme', region: 'eu' },
    events: ['LIVEBOARD_SCHEDULE'],
    authentication: { API_KEY: { key: 'X-Api-Key', value: SECRETS.apiKey } },
    signature_verification: SIG,
    additional_headers: [
      { key: 'X-Env', value: 'test' },
      { key: 'X-Source', value: 'hookrelay' },
    ],
    storage_destination: S3,
  },
  delta: {
    name: 'delta-hook',
    description: 'oauth2, two product events',
    url: 'https://hooks.example.com/delta',
    url_params: { v: '2' },
    events: ['ingestion.completed', 'kpi.alert'],
    authentication: {
      OAUTH2: { authorization_url: 'https://auth.example.com/oauth/token', client_id: 'delta-client', client_secret: SECRETS.clientSecret },
    },
    signature_verification: SIG,
  },
  bravo: {
    name: 'bravo-hook',
    description: 'basic auth, ingestion',
    url: 'https://hooks.example.com/bravo',
    events: ['ingestion.completed'],
    authentication: { BASIC_AUTH: { username: 'bravo-user', password: SECRETS.basicPassword } },
    storage_destination: S3,
  },
};

/** Checks a WebhookResponse against the spec it was created from. */
function assertWebhook(w: any, spec: any, adminName: string) {
  const what = `webhook ${spec.name}`;
  assert.equal(typeof w.id, 'string', `${what}: id`);
  assert.ok(w.id.length > 0, `${what}: empty id`);
  assert.equal(w.name, spec.name);
  assert.equal(w.description, spec.description);
  assert.equal(w.url, spec.url);
  assert.deepEqual(plain(w.org), { id: '0', name: 'Primary' });
  assert.deepEqual(plain(w.events), spec.events);
  assert.equal(w.created_by?.name, adminName, `${what}: created_by`);
  assert.equal(typeof w.creation_time_in_millis, 'number', `${what}: creation_time_in_millis`);
  assert.ok(w.creation_time_in_millis > 1_600_000_000_000, `${what}: creation_time_in_millis is not epoch millis`);
  assert.equal(typeof w.modification_time_in_millis, 'number', `${what}: modification_time_in_millis`);
  if (spec.url_params) assert.deepEqual(plain(w.url_params), spec.url_params);
  if (spec.additional_headers) assert.deepEqual(plain(w.additional_headers), spec.additional_headers);
  if (spec.storage_destination) {
    assert.equal(w.storage_destination?.storage_type, 'AWS_S3');
    const s3 = plain(w.storage_destination.storage_config?.aws_s3_config);
    for (const [k, v] of Object.entries(spec.storage_destination.storage_config.aws_s3_config)) assert.equal(s3?.[k], v, `${what}: s3 ${k}`);
  }
  const a = spec.authentication;
  const got = w.authentication ?? {};
  if (a.API_KEY) {
    assert.equal(got.API_KEY?.key, a.API_KEY.key);
    assertMasked(got.API_KEY?.value, a.API_KEY.value, `${what}: API_KEY.value`);
  }
  if (a.BASIC_AUTH) {
    assert.equal(got.BASIC_AUTH?.username, a.BASIC_AUTH.username);
    assertMasked(got.BASIC_AUTH?.password, a.BASIC_AUTH.password, `${what}: BASIC_AUTH.password`);
  }
  if (a.BEARER_TOKEN) assertMasked(got.BEARER_TOKEN, a.BEARER_TOKEN, `${what}: BEARER_TOKEN`);
  if (a.OAUTH2) {
    assert.equal(got.OAUTH2?.authorization_url, a.OAUTH2.authorization_url);
    assert.equal(got.OAUTH2?.client_id, a.OAUTH2.client_id);
    assertMasked(got.OAUTH2?.client_secret, a.OAUTH2.client_secret, `${what}: OAUTH2.client_secret`);
  }
  if (spec.signature_verification) {
    const s = w.signature_verification;
    assert.deepEqual([s?.type, s?.header, s?.algorithm], [SIG.type, SIG.header, SIG.algorithm]);
    assertMasked(s?.secret, SIG.secret, `${what}: signature_verification.secret`);
  }
  assertNoPlaintext(w, what);
}

for (const engine of engines) {
  describe(`SDK client against HookRelay (${engine})`, () => {
    let svc: TestService;
    let token: string;
    let auth: AuthenticationApi;
    let orgs: OrgsApi;
    let webhooks: WebhooksApi;
    let system: SystemApi;
    const created: Record<string, any> = {};
    let salesOrgId: number;

    const names = (list: any[]) => list.map((w) => w.name);

    before(async () => {
      svc = await startService({ engine });
    });
    after(async () => {
      await svc?.close();
    });

    test('getFullAccessToken, validateToken, getCurrentUserInfo and revokeToken', async () => {
      const anon = new AuthenticationApi(createBasicConfig(svc.baseUrl));
      const t = await anon.getFullAccessToken({ username: svc.adminUsername, password: svc.adminPassword });
      assert.equal(typeof t.token, 'string');
      assert.ok(t.token.length > 0);
      assert.equal(t.valid_for_username, svc.adminUsername);
      assert.ok(t.expiration_time_in_millis > t.creation_time_in_millis, 'token expires before it is created');
      token = t.token;
      const cfg = createBearerAuthenticationConfig(svc.baseUrl, async () => token);
      auth = new AuthenticationApi(cfg);
      orgs = new OrgsApi(cfg);
      webhooks = new WebhooksApi(cfg);
      system = new SystemApi(cfg);

      await rejectsWith(anon.getFullAccessToken({ username: svc.adminUsername, password: 'wrong-password' }), [400, 401], 'bad password');

      const me = await auth.getCurrentUserInfo();
      assert.equal(me.name, svc.adminUsername);
      const v = await auth.validateToken({ token });
      assert.equal(v.valid_for_user_id, me.id);
      assert.equal(typeof v.token_type, 'string');

      // A second token, revoked: the client's void 204 path, then the token no longer works.
      const spare = (await anon.getFullAccessToken({ username: svc.adminUsername, password: svc.adminPassword })).token;
      assert.equal(await auth.revokeToken({ token: spare }), undefined);
      const spareAuth = new AuthenticationApi(createBearerAuthenticationConfig(svc.baseUrl, async () => spare));
      await rejectsWith(spareAuth.getCurrentUserInfo(), [401], 'revoked token');
      assert.equal((await auth.getCurrentUserInfo()).name, svc.adminUsername, 'revoking one token must not revoke the others');
    });

    test('createOrg and searchOrgs', async () => {
      const sales = await orgs.createOrg({ name: 'Sales', description: 'sales team' });
      assert.equal(sales.name, 'Sales');
      assert.equal(sales.description, 'sales team');
      assert.equal(typeof sales.id, 'number', `OrgResponse.id must be a number, got ${JSON.stringify(sales.id)}`);
      salesOrgId = sales.id!;
      const ops = await orgs.createOrg({ name: 'Operations' });
      assert.notEqual(ops.id, sales.id);

      const found = await orgs.searchOrgs({ org_identifier: 'Sales' });
      assert.ok(Array.isArray(found));
      assert.deepEqual(found.map((o) => [o.id, o.name]), [[salesOrgId, 'Sales']]);
      const byId = await orgs.searchOrgs({ org_identifier: String(salesOrgId) });
      assert.deepEqual(byId.map((o) => o.name), ['Sales']);
      const all = (await orgs.searchOrgs({})).map((o) => o.name);
      for (const n of ['Primary', 'Sales', 'Operations']) assert.ok(all.includes(n), `searchOrgs({}) lacks ${n}: ${all}`);
      await rejectsWith(orgs.createOrg({ name: 'Sales' }), [400, 409], 'duplicate org name');
    });

    test('createWebhookConfiguration with every field returns the stored webhook, secrets masked', async () => {
      for (const [key, spec] of Object.entries(SPECS)) {
        const w = await webhooks.createWebhookConfiguration(spec);
        assertWebhook(w, spec, svc.adminUsername);
        created[key] = w;
      }
      assert.equal(new Set(Object.values(created).map((w) => w.id)).size, 4, 'webhook ids are not unique');
      // Only one webhook per org may subscribe to LIVEBOARD_SCHEDULE.
      await rejectsWith(
        webhooks.createWebhookConfiguration({ name: 'echo-hook', url: 'https://hooks.example.com/echo', events: ['LIVEBOARD_SCHEDULE'] }),
        [400, 409],
        'second LIVEBOARD_SCHEDULE webhook',
      );
    });

    test('searchWebhookConfigurations pages and sorts', async () => {
      const asc = { field_name: 'NAME' as const, order: 'ASC' as const };
      const p1 = await webhooks.searchWebhookConfigurations({ record_offset: 0, record_size: 2, sort_options: asc });
      assert.deepEqual(names(p1.webhooks), ['alpha-hook', 'bravo-hook']);
      assert.deepEqual(plain(p1.pagination), { record_offset: 0, record_size: 2, total_count: 4, has_more: true });
      const p2 = await webhooks.searchWebhookConfigurations({ record_offset: 2, record_size: 2, sort_options: asc });
      assert.deepEqual(names(p2.webhooks), ['charlie-hook', 'delta-hook']);
      assert.deepEqual(plain(p2.pagination), { record_offset: 2, record_size: 2, total_count: 4, has_more: false });

      const desc = await webhooks.searchWebhookConfigurations({ sort_options: { field_name: 'NAME', order: 'DESC' } });
      assert.deepEqual(names(desc.webhooks), ['delta-hook', 'charlie-hook', 'bravo-hook', 'alpha-hook']);
      assert.equal(desc.pagination.total_count, 4);
      assert.equal(desc.pagination.has_more, false);
      for (const w of desc.webhooks) {
        const key = w.name.replace('-hook', '');
        assertWebhook(w, SPECS[key], svc.adminUsername);
        assert.equal(w.id, created[key].id);
      }
    });

    test('searchWebhookConfigurations filters by id, name and event type', async () => {
      const byId = await webhooks.searchWebhookConfigurations({ webhook_identifier: created.delta.id });
      assert.deepEqual(names(byId.webhooks), ['delta-hook']);
      assert.equal(byId.pagination.total_count, 1);
      const byName = await webhooks.searchWebhookConfigurations({ webhook_identifier: 'bravo-hook' });
      assert.deepEqual(byName.webhooks.map((w) => w.id), [created.bravo.id]);
      const none = await webhooks.searchWebhookConfigurations({ webhook_identifier: 'no-such-hook' });
      assert.deepEqual(none.webhooks, []);
      assert.equal(none.pagination.total_count, 0);

      const sort = { field_name: 'NAME' as const, order: 'ASC' as const };
      const kpi = await webhooks.searchWebhookConfigurations({ event_type: 'kpi.alert' as any, sort_options: sort });
      assert.deepEqual(names(kpi.webhooks), ['charlie-hook', 'delta-hook']);
      const ing = await webhooks.searchWebhookConfigurations({ event_type: 'ingestion.completed' as any, sort_options: sort });
      assert.deepEqual(names(ing.webhooks), ['bravo-hook', 'delta-hook']);
      const lb = await webhooks.searchWebhookConfigurations({ event_type: 'LIVEBOARD_SCHEDULE' });
      assert.deepEqual(names(lb.webhooks), ['alpha-hook']);
    });

    test('updateWebhookConfiguration changes only the given fields', async () => {
      const old = created.bravo;
      const res = await webhooks.updateWebhookConfiguration(old.id, {
        description: 'bravo, updated',
        url: 'https://hooks.example.com/bravo-v2',
      });
      assert.equal(res, undefined);
      const [upd] = (await webhooks.searchWebhookConfigurations({ webhook_identifier: old.id })).webhooks;
      assert.ok(upd, 'updated webhook not found');
      assert.equal(upd.description, 'bravo, updated');
      assert.equal(upd.url, 'https://hooks.example.com/bravo-v2');
      assert.equal(upd.name, 'bravo-hook');
      assert.deepEqual(plain(upd.events), ['ingestion.completed']);
      assert.equal(upd.authentication?.BASIC_AUTH?.username, 'bravo-user');
      assertMasked(upd.authentication?.BASIC_AUTH?.password, SECRETS.basicPassword, 'BASIC_AUTH.password upd update');
      assert.deepEqual(plain(upd.storage_destination), plain(old.storage_destination));
      assert.equal(upd.creation_time_in_millis, old.creation_time_in_millis);
      assert.ok(upd.modification_time_in_millis >= old.modification_time_in_millis);
      assertNoPlaintext(upd, 'updated webhook');

      // By name, one field; the rest (incl. additional_headers and auth) stays.
      await webhooks.updateWebhookConfiguration('charlie-hook', { events: ['ingestion.completed' as any] });
      const [c] = (await webhooks.searchWebhookConfigurations({ webhook_identifier: 'charlie-hook' })).webhooks;
      assert.deepEqual(plain(c.events), ['ingestion.completed']);
      assert.equal(c.url, SPECS.charlie.url);
      assert.equal(c.description, SPECS.charlie.description);
      assert.deepEqual(plain(c.additional_headers), SPECS.charlie.additional_headers);
      assertMasked(c.authentication?.BEARER_TOKEN, SECRETS.bearer, 'BEARER_TOKEN after update');

      // A 400 the SDK parses: a 404 reached callers as "Unknown API Status Code" with the body as text.
      const unknown = await rejectsWith(webhooks.updateWebhookConfiguration('no-such-hook', { description: 'x' }), [400], 'update unknown webhook');
      assert.equal(unknown.body?.error?.code, 'NOT_FOUND', JSON.stringify(unknown.body));
      assert.match(unknown.body.error.message, /no-such-hook/);
    });

    test('deleteWebhookConfigurations by id and name reports the unknown one', async () => {
      const res = await webhooks.deleteWebhookConfigurations({
        webhook_identifiers: [created.alpha.id, 'bravo-hook', 'no-such-hook'],
      });
      assert.equal(res.deleted_count, 2);
      assert.equal(res.failed_count, 1);
      assert.deepEqual(res.deleted_webhooks.map((w) => w.id).sort(), [created.alpha.id, created.bravo.id].sort());
      assert.equal(res.failed_webhooks.length, 1);
      assert.equal(typeof res.failed_webhooks[0].error, 'string');
      assert.ok(res.failed_webhooks[0].error.length > 0, 'failed_webhooks[0].error is empty');
      assertNoPlaintext(res, 'delete response');

      const left = await webhooks.searchWebhookConfigurations({ sort_options: { field_name: 'NAME', order: 'ASC' } });
      assert.deepEqual(names(left.webhooks), ['charlie-hook', 'delta-hook']);
      assert.equal(left.pagination.total_count, 2);
    });

    test('configure and search communication-channel preferences (REPLACE, then RESET)', async () => {
      const LB = 'LIVEBOARD_SCHEDULE' as const;
      const sorted = (p: any[] | null | undefined) =>
        plain(p ?? []).map((e: any) => ({ event_type: e.event_type, channels: [...e.channels].sort() }));
      const configured = await system.configureCommunicationChannelPreferences({
        cluster_preferences: [{ event_type: LB, channels: ['EMAIL', 'WEBHOOK'] }],
        org_preferences: [{ org_identifier: 'Sales', operation: 'REPLACE', preferences: [{ event_type: LB, channels: ['WEBHOOK'] }] }],
      });
      assert.equal(configured, undefined);

      const all = await system.searchCommunicationChannelPreferences({});
      assert.ok(Array.isArray(all.cluster_preferences), 'cluster_preferences is not an array');
      assert.deepEqual(sorted(all.cluster_preferences), [{ event_type: LB, channels: ['EMAIL', 'WEBHOOK'] }]);
      assert.ok(Array.isArray(all.org_preferences), 'org_preferences is not an array');
      for (const e of all.org_preferences!) {
        assert.equal(typeof e.org?.id, 'string', `org.id must be a string: ${JSON.stringify(e)}`);
        assert.equal(typeof e.org?.name, 'string');
        assert.ok(Array.isArray(e.preferences), `preferences is not an array: ${JSON.stringify(e)}`);
      }
      const sales = all.org_preferences!.find((e) => e.org.name === 'Sales');
      assert.ok(sales, `Sales missing from ${JSON.stringify(all)}`);
      assert.deepEqual(plain(sales.org), { id: String(salesOrgId), name: 'Sales' });
      assert.deepEqual(sorted(sales.preferences), [{ event_type: LB, channels: ['WEBHOOK'] }]);

      const one = await system.searchCommunicationChannelPreferences({ org_preferences: [{ org_identifier: 'Sales', event_types: [LB] }] });
      assert.deepEqual(plain(one.org_preferences).map((e: any) => e.org.name), ['Sales']);
      assert.deepEqual(sorted(one.org_preferences![0].preferences), [{ event_type: LB, channels: ['WEBHOOK'] }]);
      const cluster = await system.searchCommunicationChannelPreferences({ cluster_preferences: [LB] });
      assert.deepEqual(sorted(cluster.cluster_preferences), [{ event_type: LB, channels: ['EMAIL', 'WEBHOOK'] }]);

      await system.configureCommunicationChannelPreferences({
        org_preferences: [{ org_identifier: String(salesOrgId), operation: 'RESET', reset_events: [LB] }],
      });
      const reset = await system.searchCommunicationChannelPreferences({ org_preferences: [{ org_identifier: 'Sales' }] });
      const salesAfter = (reset.org_preferences ?? []).find((e) => e.org.name === 'Sales');
      assert.deepEqual(sorted(salesAfter?.preferences), [], `Sales override survived RESET: ${JSON.stringify(reset)}`);
      const clusterAfter = await system.searchCommunicationChannelPreferences({});
      assert.deepEqual(sorted(clusterAfter.cluster_preferences), [{ event_type: LB, channels: ['EMAIL', 'WEBHOOK'] }], 'org RESET changed cluster preferences');

      await rejectsWith(
        system.configureCommunicationChannelPreferences({ org_preferences: [{ org_identifier: 'no-such-org', operation: 'REPLACE', preferences: [] }] }),
        [400],
        'preferences for an unknown org',
      );
    });
  });
}
