// The one typed config module: defaults, precise errors, and a README that documents every option.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, OPTIONS } from '../src/config.ts';

describe('configuration', () => {
  test('defaults: 32 attempts per webhook, 256 held per worker, the 1/5/15 minute schedule', () => {
    const c = loadConfig({ HOOKRELAY_DATA_DIR: '/tmp/hookrelay-config-test' });
    assert.equal(c.delivery.perEndpointConcurrency, 32);
    assert.equal(c.delivery.concurrency, 256);
    assert.deepEqual(c.delivery.retryScheduleMs, [60_000, 300_000, 900_000]);
    assert.equal(c.delivery.timeoutMs, 5000);
  });

  test('a bad value stops the start with a message naming the variable', () => {
    assert.throws(() => loadConfig({ HOOKRELAY_ENDPOINT_CONCURRENCY: 'many' }), (e: unknown) => e instanceof ConfigError && /HOOKRELAY_ENDPOINT_CONCURRENCY/.test((e as Error).message));
    assert.throws(() => loadConfig({ HOOKRELAY_RETRY_SCHEDULE: '60,-1' }), (e: unknown) => e instanceof ConfigError && /HOOKRELAY_RETRY_SCHEDULE/.test((e as Error).message));
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.internal', '10.0.0.1,', '::1/129']) {
      assert.throws(() => loadConfig({ HOOKRELAY_TRUST_PROXY: bad }), (e: unknown) => e instanceof ConfigError && /HOOKRELAY_TRUST_PROXY/.test((e as Error).message), bad);
    }
  });

  test('a database URL of another scheme, a bad allow list or public URL stop the start, naming the variable (the URL without its password)', () => {
    const refused = (env: Record<string, string>, name: string, not?: RegExp) =>
      assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && e.message.includes(name) && !(not && not.test(e.message)), JSON.stringify(env));
    for (const url of ['postgress://u:pw@localhost/db', 'mysql://u:pw@localhost/db', 'sqlite:///tmp/x.db', 'file:/tmp/x.db']) refused({ HOOKRELAY_DATABASE_URL: url }, 'HOOKRELAY_DATABASE_URL', /:pw@/);
    for (const ok of ['postgres://u@h/db', 'postgresql://h/db', '/tmp/hookrelay.db', 'data/h.db']) assert.equal(loadConfig({ HOOKRELAY_DATABASE_URL: ok }).databaseUrl, ok);
    refused({ HOOKRELAY_ALLOW_PRIVATE_TARGETS: 'banana' }, 'HOOKRELAY_ALLOW_PRIVATE_TARGETS');
    assert.equal(loadConfig({ HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32' }).delivery.allowPrivateTargets, '127.0.0.1/32');
    refused({ HOOKRELAY_PUBLIC_URL: 'notaurl' }, 'HOOKRELAY_PUBLIC_URL');
    refused({ HOOKRELAY_PUBLIC_URL: 'ftp://x' }, 'HOOKRELAY_PUBLIC_URL');
    refused({ HOOKRELAY_METRICS_TOKEN: 'short' }, 'HOOKRELAY_METRICS_TOKEN');
  });

  test('HOOKRELAY_TRUST_PROXY: off by default; true, or a list of addresses and CIDRs', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ HOOKRELAY_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ HOOKRELAY_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1/128' }).trustProxy, '10.0.0.0/8,127.0.0.1,::1/128');
  });

  test('README documents every option', () => {
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const missing = Object.keys(OPTIONS).filter((name) => !readme.includes(`| \`${name}\` |`));
    assert.deepEqual(missing, [], 'options without a row in the README configuration table');
  });
});
