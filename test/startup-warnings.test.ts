// Warnings a process gives at start about settings that work badly together. A lease under twice
// the delivery timeout hands queued jobs back to be claimed again instead of sent (fuzzing,
// 2026-12-07); it is a warning, not a refusal, since the crash tests run such leases on purpose.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, waitFor, type Proc } from './helpers/processes.ts';

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
});
