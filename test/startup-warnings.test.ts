// What a process says at start about settings that work badly together or cannot work. A lease
// under twice the delivery timeout hands queued jobs back to be claimed again instead of sent
// (fuzzing, 2026-12-07); it is a warning, not a refusal, since the crash tests run such leases on
// purpose. A port in use stops the start with a line naming it (it was an uncaught stack).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../src/store/index.ts';
import { createTestDatabase, engines } from './helpers/databases.ts';
import { after, before, describe, test } from 'node:test';
import { BIN, Cluster, ROOT, waitFor, type Proc } from './helpers/processes.ts';

const WARNING = 'is under twice HOOKRELAY_DELIVERY_TIMEOUT_MS';

describe('start-up warnings', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.create('sqlite', { HOOKRELAY_LOG_LEVEL: 'info' });
  });
  after(async () => {
    await cluster.destroy();
  });

  /** The process's output up to the line that follows the check (the API's listen, logged after it). */
  const startupLog = async (proc: Proc) => waitFor(() => proc.logs(), 10_000, () => (/listening|Server listening/i.test(proc.logs()) ? proc.logs() : null));

  test('a lease under twice the delivery timeout: warned of by a process with a worker, not by an API-only one or with a long enough lease', async () => {
    const short = await cluster.start('serve', 'short-lease', { HOOKRELAY_LEASE_MS: '2000', HOOKRELAY_DELIVERY_TIMEOUT_MS: '1500' });
    assert.ok((await startupLog(short)).includes(WARNING), short.logs());
    await cluster.kill(short);
    const api = await cluster.start('api', 'api-only', { HOOKRELAY_LEASE_MS: '2000', HOOKRELAY_DELIVERY_TIMEOUT_MS: '1500' });
    assert.ok(!(await startupLog(api)).includes(WARNING), api.logs());
    await cluster.kill(api);
    const long = await cluster.start('serve', 'long-lease', { HOOKRELAY_LEASE_MS: '3000', HOOKRELAY_DELIVERY_TIMEOUT_MS: '1500' });
    assert.ok(!(await startupLog(long)).includes(WARNING), long.logs());
  });

  test('a worker process serves its metrics on their own port; beyond loopback without a token, with a warning', async () => {
    const open = await cluster.start('worker', 'metrics-open', { HOOKRELAY_METRICS_PORT: '0', HOOKRELAY_METRICS_HOST: '0.0.0.0' });
    const url = await waitFor(() => open.logs(), 10_000, () => /"url":"(http:[^"]+)","msg":"metrics listening"/.exec(open.logs())?.[1] ?? null);
    assert.ok(open.logs().includes('listens beyond loopback without HOOKRELAY_METRICS_TOKEN'), open.logs());
    // What the process is, in one line.
    const started = await waitFor(() => open.logs(), 10_000, () => open.logs().split('\n').find((l) => l.includes('"msg":"HookRelay started"')) ?? null);
    const line = JSON.parse(started);
    assert.deepEqual([line.engine, line.roles, line.url, line.secretKey], ['sqlite', ['worker'], null, 'HOOKRELAY_SECRET_KEY']);
    assert.match(line.metrics, /^http:\/\/0\.0\.0\.0:\d+\/metrics$/);
    const page = await fetch(url.replace('0.0.0.0', '127.0.0.1'));
    assert.equal(page.status, 200);
    assert.match(await page.text(), /^hookrelay_worker_jobs_held 0$/m);
    await cluster.kill(open);
    const guarded = await cluster.start('worker', 'metrics-guarded', { HOOKRELAY_METRICS_PORT: '0', HOOKRELAY_METRICS_HOST: '0.0.0.0', HOOKRELAY_METRICS_TOKEN: 'scraper-token-0123456789' });
    await waitFor(() => guarded.logs(), 10_000, () => (guarded.logs().includes('metrics listening') ? true : null));
    assert.ok(!guarded.logs().includes('listens beyond loopback'), guarded.logs());
    await cluster.kill(guarded);
  });

  test('a generated administrator password goes to a file of the service user\'s only, not into the output (no terminal there)', async () => {
    const fresh = await Cluster.create('sqlite', { HOOKRELAY_LOG_LEVEL: 'info', HOOKRELAY_ADMIN_PASSWORD: '' });
    try {
      const proc = await fresh.start('serve', 'generated-password');
      const file = path.join(fresh.db.dir, 'initial-admin-password');
      const logs = await waitFor(() => proc.logs(), 10_000, () => (proc.logs().includes(file) ? proc.logs() : null));
      assert.equal((fs.statSync(file).mode & 0o777).toString(8), '600');
      const password = fs.readFileSync(file, 'utf8').trim();
      assert.ok(password.length >= 16);
      assert.ok(!logs.includes(password), 'the password is not in the output');
      const signIn = await fetch(`${proc.url}/api/rest/2.0/auth/token/full`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
      assert.equal(signIn.status, 200);
    } finally {
      await fresh.destroy();
    }
  });

  test('S3 uploads plus the delivery timeout not below the lease, a missing web identity token file: warned of', async () => {
    const proc = await cluster.start('serve', 'storage-settings', {
      HOOKRELAY_LEASE_MS: '20000', HOOKRELAY_DELIVERY_TIMEOUT_MS: '5000', HOOKRELAY_S3_UPLOAD_TIMEOUT_MS: '15000',
      HOOKRELAY_AWS_CREDENTIALS_MODE: 'web-identity', HOOKRELAY_WEB_IDENTITY_TOKEN_FILE: '/nonexistent/token',
    });
    const logs = await startupLog(proc);
    assert.ok(logs.includes('is not below HOOKRELAY_LEASE_MS (20000)'), logs);
    assert.ok(logs.includes('HOOKRELAY_WEB_IDENTITY_TOKEN_FILE does not exist'), logs);
    await cluster.kill(proc);
    const fine = await cluster.start('serve', 'storage-settings-fine', { HOOKRELAY_LEASE_MS: '30000', HOOKRELAY_DELIVERY_TIMEOUT_MS: '5000', HOOKRELAY_S3_UPLOAD_TIMEOUT_MS: '20000' });
    assert.ok(!(await startupLog(fine)).includes('HOOKRELAY_S3_UPLOAD_TIMEOUT_MS'), fine.logs());
    await cluster.kill(fine);
  });

  test('a port in use: the start stops with one line naming it, exit code 2, the worker stopped', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', HOOKRELAY_DATABASE_URL: cluster.db.url, HOOKRELAY_DATA_DIR: cluster.db.dir, HOOKRELAY_SECRET_KEY: cluster.key, HOOKRELAY_LOG_LEVEL: 'warn' };
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [BIN, 'serve'], { cwd: ROOT, env, timeout: 20_000 }, (err, _out, errText) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr: errText }));
        child.stdin?.end();
      });
      assert.equal(code, 2, stderr);
      assert.match(stderr, new RegExp(`^hookrelay: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\): another process holds that port; set PORT\\n$`));
    } finally {
      holder.close();
    }
  });

  test('a database a newer release migrated: the start stops with one line naming the migrations unknown here', async () => {
    // An older release started on it without a word, and events queued by the newer one were
    // not delivered (upgrade testing, 2026-12-07).
    const db = new Database(cluster.db.url);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run('999', 'from_the_future', Date.now());
    db.close();
    const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', HOOKRELAY_DATABASE_URL: cluster.db.url, HOOKRELAY_DATA_DIR: cluster.db.dir, HOOKRELAY_SECRET_KEY: cluster.key, HOOKRELAY_LOG_LEVEL: 'warn' };
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'serve'], { cwd: ROOT, env, timeout: 20_000 }, (err, _out, errText) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr: errText }));
    });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^hookrelay: the database was migrated by a newer HookRelay \(migrations 999 are unknown to this release, which knows up to \d{3}\); run that release or a newer one\n$/);
  });
});

for (const engine of engines) {
  test(`a database a newer release migrated is refused by the store (${engine})`, async () => {
    const db = await createTestDatabase(engine);
    try {
      const first = await openStore(db.url, {});
      await first.migrate();
      await first.close();
      if (engine === 'sqlite') {
        const raw = new Database(db.url);
        raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run('999', 'from_the_future', 0);
        raw.close();
      } else {
        const raw = new pg.Client({ connectionString: db.url });
        await raw.connect();
        await raw.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ('999', 'from_the_future', 0)");
        await raw.end();
      }
      const again = await openStore(db.url, {});
      try {
        await assert.rejects(again.migrate(), (e: unknown) => (e as Error).name === 'NewerSchemaError' && /migrations 999 are unknown/.test((e as Error).message));
      } finally {
        await again.close();
      }
    } finally {
      await db.drop();
    }
  });
}

