// The store's short-lived cache of the reads every request makes (sessions, subscriptions,
// channel preferences): kept within its TTL, emptied by the writes that change them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TTL_MS, withReadCache } from '../src/store/read-cache.ts';
import type { Store } from '../src/store/types.ts';

function fakeStore() {
  const calls: string[] = [];
  let hooks = ['w1'];
  let release: (() => void) | null = null;
  const store = {
    engine: 'sqlite',
    async subscribedWebhookIds(orgId: number, type: string) {
      calls.push(`subscribed ${orgId} ${type}`);
      if (release === null) return [...hooks];
      const answer = [...hooks];
      await new Promise<void>((r) => (release = r));
      return answer;
    },
    async findSession(hash: string) {
      calls.push(`session ${hash}`);
      return hash === 'known' ? { token: { hash }, user: { orgIds: [1] }, org: { id: 1 } } : null;
    },
    async insertWebhook() {
      calls.push('insert');
      hooks = ['w1', 'w2'];
    },
    async publishEvents() {
      calls.push('publish');
      return [];
    },
  };
  return {
    store: store as unknown as Store,
    calls,
    /** The next subscribedWebhookIds answers only when released. */
    hold() {
      release = () => undefined;
      return () => {
        const r = release!;
        release = null;
        r();
      };
    },
  };
}

describe('store read cache', () => {
  test('a read is answered from the cache within its TTL, by the store after it', async () => {
    let t = 1_000_000;
    const f = fakeStore();
    const s = withReadCache(f.store, () => t);
    assert.deepEqual(await s.subscribedWebhookIds(1, 'a'), ['w1']);
    assert.deepEqual(await s.subscribedWebhookIds(1, 'a'), ['w1']);
    assert.deepEqual(await s.subscribedWebhookIds(2, 'a'), ['w1'], 'another org is another key');
    assert.deepEqual(f.calls, ['subscribed 1 a', 'subscribed 2 a']);
    t += TTL_MS;
    await s.subscribedWebhookIds(1, 'a');
    assert.equal(f.calls.length, 3, 'read again once the TTL is over');
  });

  test('a write that changes the answers empties the cache; queue calls pass through', async () => {
    const f = fakeStore();
    const s = withReadCache(f.store);
    await s.subscribedWebhookIds(1, 'a');
    await s.publishEvents([], 0);
    assert.deepEqual(await s.subscribedWebhookIds(1, 'a'), ['w1'], 'a publish does not empty it');
    await s.insertWebhook({} as never);
    assert.deepEqual(await s.subscribedWebhookIds(1, 'a'), ['w1', 'w2'], 'the new webhook is seen at once');
    assert.deepEqual(f.calls, ['subscribed 1 a', 'publish', 'insert', 'subscribed 1 a']);
  });

  test('a read under way when a write lands is answered but not kept', async () => {
    const f = fakeStore();
    const s = withReadCache(f.store);
    const release = f.hold();
    const stale = s.subscribedWebhookIds(1, 'a');
    await s.insertWebhook({} as never);
    release();
    assert.deepEqual(await stale, ['w1']);
    assert.deepEqual(await s.subscribedWebhookIds(1, 'a'), ['w1', 'w2']);
  });

  test('unknown tokens are not kept; known sessions are, frozen', async () => {
    const f = fakeStore();
    const s = withReadCache(f.store);
    assert.equal(await s.findSession('made-up'), null);
    assert.equal(await s.findSession('made-up'), null);
    const a = await s.findSession('known');
    const b = await s.findSession('known');
    assert.equal(a, b);
    assert.deepEqual(f.calls, ['session made-up', 'session made-up', 'session known']);
    assert.throws(() => (a!.user.orgIds as number[]).push(2), TypeError, 'no caller can change what the others get');
  });
});
