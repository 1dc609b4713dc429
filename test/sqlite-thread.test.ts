// The storage thread's own contract, beyond the Store conformance suite (which runs over it too):
// unknown calls and calls after close fail cleanly, and an idle storage thread never keeps a
// process alive while a pending call always does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openStore } from '../src/store/index.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-thread-'));

test('a call the store does not have is refused; calls after close are refused', async () => {
  const dir = tmp();
  const store = await openStore(path.join(dir, 'x.db'), { sqliteThread: true });
  await store.migrate();
  await assert.rejects((store as unknown as { nope(): Promise<void> }).nope(), /no method nope/);
  await store.ping();
  await store.close();
  await assert.rejects(store.ping(), /closed/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a process with an open but idle threaded store exits on its own; a pending call keeps it alive until answered', () => {
  const dir = tmp();
  const script = `
    import { openStore } from ${JSON.stringify(path.resolve('src/store/index.ts'))};
    const store = await openStore(${JSON.stringify(path.join(dir, 'y.db'))}, { sqliteThread: true });
    // Nothing else holds the event loop: the answer must still arrive.
    store.migrate().then((applied) => console.log('applied', applied.length));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.signal, null, `the process must exit on its own (stderr: ${r.stderr})`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /applied [1-9]/);
  fs.rmSync(dir, { recursive: true, force: true });
});
