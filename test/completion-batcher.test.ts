// The group commit of attempt results: what is written together, when, and what a failed write
// does to its callers. The store is a recording fake; timings are the batcher's own.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompletionBatcher } from '../src/delivery/completion-batcher.ts';
import type { Completion } from '../src/store/types.ts';

/** A completion told apart by its attempt id (the batcher never looks inside). */
const item = (id: string) => ({ attempt: { id } }) as unknown as Completion;
const ids = (items: Completion[]) => items.map((c) => c.attempt.id);

/** A store that records each call, answers kept = not "lost", and can be made to fail or wait. */
function fakeStore() {
  const calls: string[][] = [];
  let failNext = false;
  let gate: Promise<void> | null = null;
  return {
    calls,
    failOnce: () => (failNext = true),
    hold: () => {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
    write: async (items: Completion[]) => {
      calls.push(ids(items));
      if (gate) await gate;
      if (failNext) {
        failNext = false;
        throw new Error('database is down');
      }
      return items.map((c) => c.attempt.id !== 'lost');
    },
  };
}

describe('completion batcher', () => {
  test('results added within the delay are written in one call, each answered with its own result', async () => {
    const store = fakeStore();
    const b = new CompletionBatcher(store.write, 256, 30);
    const answers = Promise.all(['a', 'lost', 'c'].map((id) => b.add(item(id))));
    await sleep(5);
    assert.equal(store.calls.length, 0, 'nothing is written before the delay');
    assert.deepEqual(await answers, [true, false, true]);
    assert.deepEqual(store.calls, [['a', 'lost', 'c']]);
  });

  test('a full batch is written at once, without waiting for the delay', async () => {
    const store = fakeStore();
    const b = new CompletionBatcher(store.write, 3, 60_000);
    const answers = Promise.all(['a', 'b', 'c', 'd'].map((id) => b.add(item(id))).slice(0, 3));
    assert.deepEqual(await answers, [true, true, true]);
    assert.deepEqual(store.calls[0], ['a', 'b', 'c']);
    await b.drain();
    assert.deepEqual(store.calls, [['a', 'b', 'c'], ['d']]);
  });

  test('writes never overlap: results added during a write go in the next call', async () => {
    const store = fakeStore();
    const b = new CompletionBatcher(store.write, 256, 1);
    const release = store.hold();
    const first = b.add(item('a'));
    while (!store.calls.length) await sleep(1);
    const second = Promise.all([b.add(item('b')), b.add(item('c'))]);
    await sleep(20);
    assert.equal(store.calls.length, 1, 'the second call waits for the first to finish');
    release();
    assert.equal(await first, true);
    assert.deepEqual(await second, [true, true]);
    assert.deepEqual(store.calls, [['a'], ['b', 'c']]);
  });

  test('a failed write rejects its own callers only; the next results are written as usual', async () => {
    const store = fakeStore();
    const b = new CompletionBatcher(store.write, 256, 1);
    store.failOnce();
    const failed = Promise.allSettled([b.add(item('a')), b.add(item('b'))]);
    assert.deepEqual((await failed).map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(await b.add(item('c')), true);
    assert.deepEqual(store.calls, [['a', 'b'], ['c']], 'a store that is down is not asked once per record');
  });

  test('a record whose data the store refuses fails its own caller only (a whole batch lost was delivered again to every webhook in it)', async () => {
    const calls: string[][] = [];
    const write = async (items: Completion[]) => {
      calls.push(ids(items));
      if (ids(items).includes('bad')) throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
      return items.map(() => true);
    };
    const b = new CompletionBatcher(write, 256, 1);
    const results = await Promise.allSettled([b.add(item('a')), b.add(item('bad')), b.add(item('c'))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(calls, [['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  test('drain writes what is queued at once (shutdown) and resolves after it is written', async () => {
    const store = fakeStore();
    const b = new CompletionBatcher(store.write, 256, 60_000);
    const answer = b.add(item('a'));
    const t = Date.now();
    await b.drain();
    assert.ok(Date.now() - t < 1_000, 'drain does not wait for the delay');
    assert.deepEqual(store.calls, [['a']]);
    assert.equal(await answer, true);
    await b.drain();
    assert.equal(store.calls.length, 1, 'an empty drain writes nothing');
  });
});
