// The memory budget of attachments in flight (src/delivery/byte-budget.ts): taken in turn, given up
// after the wait, never more than the capacity held.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteBudget } from '../src/delivery/byte-budget.ts';

test('takes bytes up to the capacity, in turn; a wait that runs out answers false and lets the others on', async () => {
  const b = new ByteBudget(100);
  assert.equal(await b.acquire(60, 0), true);
  assert.equal(await b.acquire(60, 0), false, 'no room and no wait');
  const order: string[] = [];
  const big = b.acquire(60, 1000).then((ok) => (order.push(`big ${ok}`), ok));
  const small = b.acquire(10, 1000).then((ok) => (order.push(`small ${ok}`), ok));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(order, [], 'the small one waits behind the big one, though it would fit');
  b.release(60);
  assert.deepEqual([await big, await small], [true, true]);
  assert.deepEqual(order, ['big true', 'small true']);
  assert.equal(b.inUse, 70);
  // A request larger than the whole budget takes the whole budget (and gives back as much).
  const huge = b.acquire(500, 50);
  assert.equal(await huge, false, 'not while others hold bytes');
  const after = b.acquire(30, 0);
  assert.equal(await after, true, 'the given-up request no longer holds the line');
  b.release(60);
  b.release(10);
  b.release(30);
  assert.equal(b.inUse, 0);
  assert.equal(await b.acquire(500, 0), true);
  assert.equal(b.inUse, 100);
  b.release(500);
  assert.equal(b.inUse, 0);
});
