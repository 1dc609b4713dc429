// The `hookrelay` command's answers to what an operator gets wrong: one line naming the setting or
// the option and exit code 2, never a stack trace; `--help` and typos never start a process
// (`serve --help` started a server with a worker: operator audit, 2026-12-08).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from './helpers/databases.ts';
import { BIN, ROOT } from './helpers/processes.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SecretBox } from '../src/security/secret-box.ts';
import { openStore } from '../src/store/index.ts';
import { ensurePrimaryOrg } from '../src/services/identity.ts';

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('HOOKRELAY_') && !k.startsWith('NODE_TEST')) clean[k] = v;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...clean, PORT: '0', HOST: '127.0.0.1', HOOKRELAY_LOG_LEVEL: 'warn', ...env }, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/** Exit code 2 and one line that matches, no stack. */
function refused(r: { code: number | null; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('the hookrelay command', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    db = await createTestDatabase('sqlite');
    env = { HOOKRELAY_DATABASE_URL: db.url, HOOKRELAY_DATA_DIR: db.dir, HOOKRELAY_ADMIN_PASSWORD: 'admin-password-1' };
  });
  after(async () => {
    await db.drop();
  });

  test('serve --help prints the usage and starts nothing; an unknown option is refused', async () => {
    const help = await run(['serve', '--help'], env);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: hookrelay/);
    refused(await run(['serve', '--no-wroker'], env), /unknown option "--no-wroker"/);
    refused(await run(['worker', '--no-worker'], env), /unknown option "--no-worker"/);
  });

  test('settings and databases that cannot work: one line naming them', async () => {
    refused(await run(['migrate'], { ...env, HOOKRELAY_DATABASE_URL: 'postgress://u:pw@localhost/db' }), /^hookrelay: HOOKRELAY_DATABASE_URL must be a postgres:\/\/ .*"postgress:\/\/u:\*\*\*@localhost\/db"\n$/);
    const down = await run(['migrate'], { ...env, HOOKRELAY_DATABASE_URL: 'postgres://u:pw@127.0.0.1:1/db' });
    refused(down, /^hookrelay: cannot connect to PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db \(HOOKRELAY_DATABASE_URL\): .*ECONNREFUSED/);
    assert.doesNotMatch(down.stderr, /pw/);
    refused(await run(['migrate'], { ...env, HOOKRELAY_ALLOW_PRIVATE_TARGETS: 'banana' }), /HOOKRELAY_ALLOW_PRIVATE_TARGETS/);
    refused(await run(['serve'], { ...env, HOST: 'no-such-host.invalid' }), /cannot listen on no-such-host\.invalid:0: HOST "no-such-host\.invalid" is not an address of this machine/);
  });

  test('a key that did not encrypt the database: refused at start, whether or not it holds secrets yet', async () => {
    const other = { HOOKRELAY_SECRET_KEY: 'b'.repeat(64) };
    const fresh = await createTestDatabase('sqlite');
    try {
      const base = { HOOKRELAY_DATABASE_URL: fresh.url, HOOKRELAY_DATA_DIR: fresh.dir, HOOKRELAY_SECRET_KEY: 'a'.repeat(64) };
      assert.equal((await run(['migrate'], base)).code, 0);
      refused(await run(['migrate'], { ...base, ...other }), /^hookrelay: the secret key \(HOOKRELAY_SECRET_KEY\) is not the key that encrypted this database's secrets/);
      assert.equal((await run(['migrate'], base)).code, 0, 'the right key still starts');
    } finally {
      await fresh.drop();
    }
    // The generated key of another data directory, on a database holding a secret (from before the fingerprint: it is removed).
    assert.equal((await run(['migrate'], env)).code, 0);
    const store = await openStore(db.url);
    await store.migrate();
    await ensurePrimaryOrg(store);
    await store.insertWebhook({
      id: 'w-sealed', orgId: 0, name: 'sealed', description: null, url: 'https://example.com/h', urlParams: null, events: ['kpi.alert'], authentication: null,
      signatureVerification: { type: 'HMAC_SHA256', header: 'X-Sig', algorithm: 'SHA256', secret: new SecretBox(Buffer.from(fs.readFileSync(path.join(db.dir, 'secret.key'), 'utf8').trim(), 'hex')).encrypt('s3cret') },
      storageDestination: null, additionalHeaders: null, createdAt: 1, modifiedAt: 1, createdBy: null, modifiedBy: null,
    });
    await store.close();
    const file = new Database(db.url);
    file.exec('DELETE FROM key_check');
    file.close();
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-otherdir-'));
    refused(await run(['migrate'], { ...env, HOOKRELAY_DATA_DIR: elsewhere }), new RegExp(`the secret key \\(${elsewhere}/secret.key\\) is not the key`));
    assert.equal((await run(['migrate'], env)).code, 0);
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });

  test('user, org and token: the API\'s rules, duplicates and bad options as one line', async () => {
    assert.equal((await run(['org', 'create', '--name', 'acme'], env)).code, 0);
    refused(await run(['org', 'create', '--name', 'acme'], env), /^hookrelay: an org of that name exists already\n$/);
    refused(await run(['user', 'create', '--name', 'dev', '--password', 'short'], env), /password: must be at least 8 characters/);
    refused(await run(['user', 'create', '--name', 'x'.repeat(300), '--password', 'long-enough-1'], env), /name/);
    assert.equal((await run(['user', 'create', '--name', 'dev', '--password', 'long-enough-1'], env)).code, 0);
    refused(await run(['user', 'create', '--name', 'dev', '--password', 'long-enough-1'], env), /a user of that name exists already/);
    refused(await run(['user', 'create', '--nme', 'x'], env), /Unknown option '--nme'/);
    const creds = ['token', '--username', 'dev', '--password', 'long-enough-1'];
    refused(await run([...creds, '--validity', 'abc'], env), /--validity must be an integer between 1 and 2592000, got "abc"/);
    refused(await run([...creds, '--validity', '99999999999'], env), /--validity must be an integer/);
    refused(await run([...creds, '--org-id', 'abc'], env), /--org-id must be an org id/);
    refused(await run(['token', '--username', 'dev', '--password', 'wrong-password'], env), /^hookrelay: /);
    const ok = await run([...creds, '--validity', '60'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^\S{20,}\n$/);
  });
});
