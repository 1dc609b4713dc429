// S3 storage destinations (seed 003) against a real S3-compatible server (s3rver) and a local STS
// endpoint speaking the STS query protocol. Only the endpoints are overridden: the service takes
// its own identity from the AWS default provider chain (env keys here), assumes the role through
// STS, uploads with the temporary credentials (s3rver knows no other keys), then notifies.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CredentialBroker } from '../src/storage/s3-credentials.ts';
import { distinctKeys, objectKey, sanitiseFileName } from '../src/storage/s3-upload.ts';
import { engines, type TestService } from './helpers/harness.ts';
import { startWithApi, stopWithApi, type Api } from './helpers/receiver.ts';
import { startStsServer, type StsServer } from './helpers/sts-server.ts';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const s3rverAccount = require('s3rver/lib/models/account.js').DUMMY_ACCOUNT;

const BUCKET = 'my-bucket';
const ROLE = 'arn:aws:iam::999888777666:role/hookrelay-s3-upload';
const ROLE_BURST = 'arn:aws:iam::999888777666:role/hookrelay-s3-burst';
const ROLE_NO_S3 = 'arn:aws:iam::999888777666:role/hookrelay-no-s3';
const WEB_ROLE = 'arn:aws:iam::999888777666:role/hookrelay-gcp-upload';
const EXTERNAL_ID = 'ts-webhook-x7k9m2p4q1';
const OIDC_TOKEN = `eyJhbGciOiJSUzI1NiJ9.${crypto.randomBytes(24).toString('base64url')}.sig`;
const SERVICE_KEY = 'AKIAHOOKRELAYSERVICE';

function destination(bucket: string, roleArn: string, externalId?: string, prefix = 'exports/') {
  return { storage_type: 'AWS_S3', storage_config: { aws_s3_config: { bucket_name: bucket, region: 'us-east-1', role_arn: roleArn, external_id: externalId, path_prefix: prefix } } };
}

/** A PDF-looking file of `size` bytes: a real header, then random bytes. */
function pdf(size: number): Buffer {
  const buf = crypto.randomBytes(size);
  buf.write('%PDF-1.7\n', 0, 'latin1');
  return buf;
}

async function publishWithFile(api: Api, type: string, data: Record<string, unknown>, file: Buffer, name: string, mime = 'application/pdf'): Promise<string> {
  const form = new FormData();
  form.append('event', JSON.stringify({ type, data }));
  form.append('file', new Blob([new Uint8Array(file)], { type: mime }), name);
  const res = await fetch(`${api.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
  const text = await res.text();
  assert.equal(res.status, 202, text);
  return JSON.parse(text).id;
}

function datePath(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
}

// One S3 server and one STS endpoint for the whole file.
let s3: { url: string; close(): Promise<void> };
let sts: StsServer;
let reader: S3Client;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-s3-'));

async function readObject(key: string, bucket = BUCKET): Promise<{ body: Buffer; contentType?: string }> {
  const out = await reader.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: Buffer.from(await out.Body!.transformToByteArray()), contentType: out.ContentType };
}

before(async () => {
  // The service's own (long-lived) identity, read by the AWS default provider chain in assume-role mode.
  process.env.AWS_ACCESS_KEY_ID = SERVICE_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = 'service-secret-key';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(tmp, 's3'), configureBuckets: [{ name: BUCKET }] });
  const addr = await server.run();
  s3 = { url: `http://127.0.0.1:${addr.port}`, close: () => server.close() };
  sts = await startStsServer({
    roles: [{ roleArn: ROLE, externalId: EXTERNAL_ID }, { roleArn: ROLE_BURST, externalId: EXTERNAL_ID }, { roleArn: WEB_ROLE, webIdentityToken: OIDC_TOKEN },
      { roleArn: ROLE_NO_S3, externalId: EXTERNAL_ID, s3Access: false }],
    callerAccessKeyId: SERVICE_KEY,
    issue: (id, secret) => s3rverAccount.createKeyPair(id, secret),
  });
  reader = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
});

after(async () => {
  reader?.destroy();
  await sts?.close();
  await s3?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('object keys: documented layout, sanitised names', () => {
  const at = Date.UTC(2026, 2, 5, 23, 59, 59);
  assert.equal(objectKey({ pathPrefix: 'thoughtspot/' }, 7, 'LIVEBOARD_SCHEDULE', at, 'n.abc-1', 'Q1 report (final).pdf'), 'thoughtspot/7/LIVEBOARD_SCHEDULE/2026/03/05/n.abc-1/Q1_report_final_.pdf');
  assert.equal(sanitiseFileName('../../etc/passwd'), 'passwd');
  assert.equal(sanitiseFileName('..'), 'file');
  assert.equal(sanitiseFileName('Umsätze 2026.csv'), 'Umsa_tze_2026.csv');
  // Within one event, a key repeated (the same name, or names that sanitise alike) is made distinct.
  assert.deepEqual(distinctKeys(['p/report.pdf', 'p/report.pdf', 'p/a_b.csv', 'p/report-2.pdf', 'p/a_b.csv', 'p/file']), ['p/report.pdf', 'p/report-3.pdf', 'p/a_b.csv', 'p/report-2.pdf', 'p/a_b-2.csv', 'p/file']);
  assert.deepEqual(distinctKeys(['x/file', 'x/file', 'x/v1.2/r.tar.gz', 'x/v1.2/r.tar.gz']), ['x/file', 'x/file-2', 'x/v1.2/r.tar.gz', 'x/v1.2/r.tar-2.gz']);
});

test('credential cache: per (role, external id), renewed five minutes before expiry', async () => {
  let clock = Date.now();
  const broker = new CredentialBroker(
    { credentialsMode: 'assume-role', webIdentityTokenFile: null, s3Endpoint: s3.url, stsEndpoint: sts.url, s3ForcePathStyle: true, uploadTimeoutMs: 5000 },
    () => clock,
  );
  const ref = { roleArn: ROLE, externalId: EXTERNAL_ID, region: 'us-east-1' };
  const before = sts.granted(ROLE, EXTERNAL_ID);
  const [a, b] = await Promise.all([broker.get(ref), broker.get(ref)]);
  assert.equal(a, b);
  assert.equal(sts.granted(ROLE, EXTERNAL_ID) - before, 1, 'concurrent callers share one STS call');
  const renewAt = a.expiration.getTime() - 5 * 60_000;
  clock = renewAt - 1000;
  assert.equal(await broker.get(ref), a, 'still cached just before the margin');
  clock = renewAt;
  const c = await broker.get(ref);
  assert.notEqual(c.accessKeyId, a.accessKeyId);
  assert.equal(sts.granted(ROLE, EXTERNAL_ID) - before, 2);
  await assert.rejects(broker.get({ ...ref, externalId: 'other' }), /failed to assume role .* api error AccessDenied/);
  broker.close();
});

test('a hung STS call ends by its deadline, and the next asks STS again instead of sharing it', async () => {
  // An STS that never answers: before, the one call stayed pending and every delivery to the
  // role shared it, until a restart (attachment fuzzing, 2026-12-07).
  let requests = 0;
  const hung = http.createServer((req) => {
    requests++;
    req.resume();
  });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
  const broker = new CredentialBroker(
    { credentialsMode: 'assume-role', webIdentityTokenFile: null, s3Endpoint: s3.url, stsEndpoint: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`, s3ForcePathStyle: true, uploadTimeoutMs: 5000 },
    Date.now,
    300,
  );
  const ref = { roleArn: ROLE, externalId: EXTERNAL_ID, region: 'us-east-1' };
  try {
    await assert.rejects(broker.get(ref), /failed to assume role .*: operation error STS: AssumeRole, no answer within 300 ms/);
    const first = requests;
    assert.ok(first >= 1);
    await assert.rejects(broker.get(ref), /no answer within 300 ms/);
    assert.ok(requests > first, 'a new STS call');
  } finally {
    broker.close();
    hung.closeAllConnections();
    hung.close();
  }
});

for (const engine of engines) {
  describe(`S3 storage destination, assume-role (${engine})`, () => {
    let svc: TestService;
    let api: Api;

    before(async () => {
      ({ svc, api } = await startWithApi(engine, {
        HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32',
        HOOKRELAY_S3_ENDPOINT: s3.url,
        HOOKRELAY_STS_ENDPOINT: sts.url,
        HOOKRELAY_AWS_CREDENTIALS_MODE: 'assume-role',
        HOOKRELAY_RETRY_SCHEDULE: '0.2',
      }));
    });
    after(async () => {
      await stopWithApi(svc, api);
    });

    test('a 20 MB PDF lands in the bucket byte for byte; the receiver gets JSON with its location', async (t) => {
      const before = sts.granted(ROLE, EXTERNAL_ID);
      const { rx } = await api.endpoint(t, { status: 200 }, { storage_destination: destination(BUCKET, ROLE, EXTERNAL_ID) });
      const file = pdf(20 * 1024 * 1024);
      const id = await publishWithFile(api, 'kpi.alert', { kpi: 'revenue', value: 42 }, file, 'report.pdf');
      const [job] = await api.settled(id, 1, 30_000);
      assert.equal(job.status, 'SUCCESS', job.detail);
      assert.equal(rx.requests.length, 1);
      const req = rx.requests[0];
      assert.match(String(req.headers['content-type']), /^application\/json/);
      assert.ok(req.body.length < 10_000, 'the request carries the location, not the file');
      const body = req.json();
      assert.equal(body.event, 'kpi.alert');
      assert.deepEqual(body.data, { kpi: 'revenue', value: 42 });
      const key = `exports/0/kpi.alert/${datePath(body.timestamp)}/${id}/report.pdf`;
      assert.deepEqual(body.attachments, [{
        fileName: 'report.pdf', contentType: 'application/pdf', size: file.length, storageType: 'AWS_S3', bucket: BUCKET, region: 'us-east-1', key,
        s3Uri: `s3://${BUCKET}/${key}`, url: `${s3.url}/${BUCKET}/${key}`,
      }]);
      const stored = await readObject(key);
      assert.equal(stored.body.length, file.length);
      assert.ok(stored.body.equals(file), 'stored bytes equal the published bytes');
      assert.equal(stored.contentType, 'application/pdf');
      assert.equal(sts.granted(ROLE, EXTERNAL_ID) - before <= 1, true);
      const call = sts.calls.filter((c) => c.roleArn === ROLE && c.status === 200).at(-1)!;
      assert.equal(call.action, 'AssumeRole');
      assert.equal(call.signedBy, SERVICE_KEY, 'AssumeRole is signed with the service identity from the default chain');
      // The attempt's recorded time is the storage step's (credentials, then the upload) and the request's.
      const [attempt] = await api.attempts(job.webhook_id);
      assert.ok(Date.parse(attempt.timestamp) <= call.at, `attempt started ${attempt.timestamp}, STS called ${new Date(call.at).toISOString()}`);
      assert.ok(Date.parse(attempt.timestamp) + attempt.response_time_ms >= req.at, 'it ends after the request arrived');
    });

    test('files whose names give one key each get their own object', async (t) => {
      // The later file overwrote the earlier, and the payload pointed twice at it.
      const { rx } = await api.endpoint(t, { status: 200 }, { storage_destination: destination(BUCKET, ROLE, EXTERNAL_ID) });
      const files: [string, Buffer, string][] = [['report.pdf', pdf(3000), 'application/pdf'], ['report.pdf', pdf(1000), 'application/pdf'], ['a b.csv', Buffer.from('a,b\n1,2'), 'text/csv'], ['a_b.csv', Buffer.from('c,d'), 'text/csv']];
      const form = new FormData();
      form.append('event', JSON.stringify({ type: 'kpi.alert', data: {} }));
      for (const [name, body, mime] of files) form.append('file', new Blob([new Uint8Array(body)], { type: mime }), name);
      const res = await fetch(`${api.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
      assert.equal(res.status, 202, await res.clone().text());
      const { id } = (await res.json()) as { id: string };
      const [job] = await api.settled(id, 1, 30_000);
      assert.equal(job.status, 'SUCCESS', job.detail);
      const listed = rx.requests[0].json().attachments as { fileName: string; key: string; size: number }[];
      assert.deepEqual(listed.map((a) => a.key.split('/').pop()), ['report.pdf', 'report-2.pdf', 'a_b.csv', 'a_b-2.csv']);
      for (const [i, [, body]] of files.entries()) {
        assert.equal(listed[i].size, body.length);
        assert.ok((await readObject(listed[i].key)).body.equals(body), `${listed[i].key} holds file ${i}`);
      }
    });

    test('credentials are fetched once for many deliveries', async (t) => {
      const before = sts.granted(ROLE_BURST);
      const { rx } = await api.endpoint(t, { status: 200 }, { storage_destination: destination(BUCKET, ROLE_BURST, EXTERNAL_ID, '') });
      const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => publishWithFile(api, 'kpi.alert', { n: i }, pdf(4096 + i), `part ${i}.pdf`)));
      for (const id of ids) assert.equal((await api.settled(id, 1, 20_000))[0].status, 'SUCCESS');
      assert.equal(rx.requests.length, 8);
      for (const r of rx.requests) {
        const [f] = r.json().attachments;
        assert.match(f.key, /^0\/kpi\.alert\/\d{4}\/\d{2}\/\d{2}\/n\.[0-9a-f-]+\/part_\d\.pdf$/);
        assert.equal((await readObject(f.key)).body.length, f.size);
      }
      assert.equal(sts.granted(ROLE_BURST) - before, 1, 'one AssumeRole for 8 deliveries');
    });

    test('a wrong external id ends FAILED with the AWS error in detail; the receiver is never called', async (t) => {
      const { rx } = await api.endpoint(t, { status: 200 }, { storage_destination: destination(BUCKET, ROLE, 'not-the-external-id') });
      const id = await publishWithFile(api, 'kpi.alert', { kpi: 'x' }, pdf(2048), 'report.pdf');
      const [job] = await api.settled(id, 1, 20_000);
      assert.equal(job.status, 'FAILED');
      assert.equal(job.try_count, 2, 'retried like any other failure');
      assert.match(
        job.detail,
        new RegExp(`^STORAGE_FILE_UPLOAD_CHECK \\(bucket: ${BUCKET}\\): failed to assume role '${ROLE}': operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: [0-9a-f-]{36}, api error AccessDenied: User: arn:aws:iam::111122223333:user/${SERVICE_KEY} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}\\. Ensure the role's trust policy allows HookRelay and the External ID matches`),
      );
      assert.equal(rx.requests.length, 0, 'no notification without the stored file');
    });

    test('PutObject refused: the S3 error in detail, and fresh credentials are asked for on the retry', async (t) => {
      const before = sts.granted(ROLE_NO_S3);
      const { rx } = await api.endpoint(t, { status: 200 }, { storage_destination: destination(BUCKET, ROLE_NO_S3, EXTERNAL_ID) });
      const id = await publishWithFile(api, 'kpi.alert', { kpi: 'y' }, pdf(2048), 'report.pdf');
      const [job] = await api.settled(id, 1, 20_000);
      assert.equal(job.status, 'FAILED');
      assert.match(
        job.detail,
        new RegExp(`^STORAGE_FILE_UPLOAD_CHECK \\(bucket: ${BUCKET}\\): failed to upload object 'exports/0/kpi\\.alert/[^']+/report\\.pdf': operation error S3: PutObject, https response error StatusCode: 403, RequestID: .*api error InvalidAccessKeyId: `),
      );
      assert.equal(sts.granted(ROLE_NO_S3) - before, 2, 'credentials S3 refused are not reused');
      assert.equal(rx.requests.length, 0);
    });

    test('validate: PARTIAL_SUCCESS when the bucket is wrong but the endpoint answers; SUCCESS stores the dummy PDF', async (t) => {
      const { hook: bad } = await api.endpoint(t, { status: 200 }, { storage_destination: destination('no-such-bucket', ROLE, EXTERNAL_ID) });
      const v = await api.ok('POST', '/api/rest/2.0/system/communication-channels/validate', { channel_type: 'WEBHOOK', channel_identifier: bad.id, event_type: 'LIVEBOARD_SCHEDULE' });
      assert.equal(v.result_code, 'PARTIAL_SUCCESS');
      const [storage, http] = v.details;
      assert.equal(storage.validation_step, 'STORAGE_FILE_UPLOAD_CHECK');
      assert.equal(storage.status, 'FAILED');
      assert.equal(storage.http_status, null);
      assert.match(storage.error_message, /^failed to upload object '.+': operation error S3: PutObject, https response error StatusCode: 404, RequestID: .*api error NoSuchBucket: The specified bucket does not exist/);
      assert.equal(storage.aws_s3_info.bucket_name, 'no-such-bucket');
      assert.match(storage.aws_s3_info.file_name, /^validation_dummy_\d{8}_\d{6}\.pdf$/);
      assert.ok(storage.aws_s3_info.object_key.startsWith('exports/0/LIVEBOARD_SCHEDULE/'));
      assert.ok(storage.aws_s3_info.object_key.endsWith(`/${storage.aws_s3_info.file_name}`));
      assert.deepEqual(http, { validation_step: 'HTTP_CONNECTION_CHECK', status: 'SUCCESS', http_status: 200, error_message: null, aws_s3_info: null });
      const { jobs } = await api.ok('POST', '/api/rest/2.0/jobs/history/communication-channels/search', { channel_type: 'WEBHOOK', job_ids: [v.job_id] });
      assert.equal(jobs[0].status, 'FAILED');
      assert.equal(jobs[0].detail, `STORAGE_FILE_UPLOAD_CHECK (bucket: no-such-bucket): ${storage.error_message}`);

      const { hook: good } = await api.endpoint(t, { status: 200 }, { storage_destination: destination(BUCKET, ROLE, EXTERNAL_ID) });
      const ok = await api.ok('POST', '/api/rest/2.0/system/communication-channels/validate', { channel_type: 'WEBHOOK', channel_identifier: good.id, event_type: 'LIVEBOARD_SCHEDULE' });
      assert.equal(ok.result_code, 'SUCCESS');
      assert.equal(ok.details[0].status, 'SUCCESS');
      const dummy = await readObject(ok.details[0].aws_s3_info.object_key);
      assert.equal(dummy.body.subarray(0, 5).toString(), '%PDF-');
      assert.equal(dummy.contentType, 'application/pdf');
    });

    test('LIVEBOARD_SCHEDULE: the locations go into data.files', async (t) => {
      await api.ok('POST', '/api/rest/2.0/system/preferences/communication-channels/configure', { cluster_preferences: [{ event_type: 'LIVEBOARD_SCHEDULE', channels: ['WEBHOOK'] }] }, 204);
      const { rx } = await api.endpoint(t, { status: 200 }, { events: ['LIVEBOARD_SCHEDULE'], storage_destination: destination(BUCKET, ROLE, EXTERNAL_ID, 'thoughtspot/webhook') });
      const csv = Buffer.from('region,revenue\nemea,10\n');
      const id = await publishWithFile(api, 'LIVEBOARD_SCHEDULE', { metadataObject: { id: 'lb-1', name: 'Sales' }, scheduleDetails: { name: 'Daily' }, recipients: [] }, csv, 'sales.csv', 'text/csv');
      assert.equal((await api.settled(id, 1, 20_000))[0].status, 'SUCCESS');
      const body = rx.requests[0].json();
      assert.equal(body.eventType, 'LIVEBOARD_SCHEDULE');
      const [f] = body.data.files;
      assert.equal(f.key, `thoughtspot/webhook/0/LIVEBOARD_SCHEDULE/${datePath(body.timestamp)}/${id}/sales.csv`);
      assert.ok((await readObject(f.key)).body.equals(csv));
    });
  });

  describe(`S3 storage destination, web-identity (${engine})`, () => {
    let svc: TestService;
    let api: Api;

    before(async () => {
      const tokenFile = path.join(tmp, `oidc-token-${engine}`);
      fs.writeFileSync(tokenFile, `${OIDC_TOKEN}\n`);
      ({ svc, api } = await startWithApi(engine, {
        HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32',
        HOOKRELAY_S3_ENDPOINT: s3.url,
        HOOKRELAY_STS_ENDPOINT: sts.url,
        HOOKRELAY_AWS_CREDENTIALS_MODE: 'web-identity',
        HOOKRELAY_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        HOOKRELAY_RETRY_SCHEDULE: '0.2',
      }));
    });
    after(async () => {
      await stopWithApi(svc, api);
    });

    test('AssumeRoleWithWebIdentity with the token file, unsigned; the file lands and the receiver is told', async (t) => {
      const before = sts.calls.length;
      const { rx } = await api.endpoint(t, { status: 200 }, { storage_destination: destination(BUCKET, WEB_ROLE, undefined, 'gcp/') });
      const file = pdf(64 * 1024);
      const id = await publishWithFile(api, 'kpi.alert', { kpi: 'churn' }, file, 'churn.pdf');
      const [job] = await api.settled(id, 1, 20_000);
      assert.equal(job.status, 'SUCCESS', job.detail);
      const [f] = rx.requests[0].json().attachments;
      assert.ok(f.key.startsWith('gcp/0/kpi.alert/'));
      assert.ok((await readObject(f.key)).body.equals(file));
      const calls = sts.calls.slice(before);
      assert.equal(calls.length, 1);
      assert.equal(calls[0].action, 'AssumeRoleWithWebIdentity');
      assert.equal(calls[0].webIdentityToken, OIDC_TOKEN);
      assert.equal(calls[0].signedBy, null, 'no long-lived keys: the call is unsigned');
    });
  });
}

describe('S3 storage destination, an S3 that never answers', () => {
  let svc: TestService;
  let api: Api;
  let hung: http.Server;

  before(async () => {
    hung = http.createServer((req) => req.resume());
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
    ({ svc, api } = await startWithApi('sqlite', {
      HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32',
      HOOKRELAY_S3_ENDPOINT: `http://127.0.0.1:${(hung.address() as AddressInfo).port}`,
      HOOKRELAY_STS_ENDPOINT: sts.url,
      HOOKRELAY_AWS_CREDENTIALS_MODE: 'assume-role',
      HOOKRELAY_S3_UPLOAD_TIMEOUT_MS: '1000',
      HOOKRELAY_RETRY_SCHEDULE: '0.2',
    }));
  });
  after(async () => {
    await stopWithApi(svc, api);
    hung.closeAllConnections();
    hung.close();
  });

  test("the attempt's error names the upload deadline that ran out (it said \"Request aborted\")", async (t) => {
    const { rx } = await api.endpoint(t, { status: 200 }, { storage_destination: destination(BUCKET, ROLE, EXTERNAL_ID) });
    const id = await publishWithFile(api, 'kpi.alert', {}, pdf(1000), 'report.pdf');
    const [job] = await api.settled(id, 1, 30_000);
    assert.equal(job.status, 'FAILED');
    assert.match(job.detail, /^STORAGE_FILE_UPLOAD_CHECK \(bucket: my-bucket\): the storage step \(credentials from STS, then the uploads\) did not finish within HOOKRELAY_S3_UPLOAD_TIMEOUT_MS \(1000 ms\)/);
    assert.equal(rx.requests.length, 0, 'the receiver is not called without its files');
  });
});
