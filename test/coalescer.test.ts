// Group commit for single-statement writes (src/store/coalescer.ts): alone while there is room,
// together once maxInFlight calls are out, each caller answered with its own results, and one
// caller's bad row never fails the others.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Coalescer } from '../src/store/coalescer.ts';

/** A run() whose calls stay open until released, recording what each call carried. */
function gated() {
  const calls: { items: number[]; release: (err?: unknown) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ items, release: (err) => (err ? reject(err) : resolve(items.map((i) => `r${i}`))) });
    });
  return { calls, run };
}

const tick = () => new Promise((r) => setImmediate(r));
const rowError = (err: unknown) => (err as { code?: string }).code === '23505';

test('calls go out alone while fewer than maxInFlight are out, then wait and go together', async () => {
  const { calls, run } = gated();
  const c = new Coalescer(run, { maxInFlight: 2, maxItems: 100, rowError });
  const a = c.add([1]);
  const b = c.add([2, 3]);
  assert.deepEqual(calls.map((x) => x.items), [[1], [2, 3]], 'two out at once, each alone');
  const waiting = [c.add([4]), c.add([5, 6]), c.add([7])];
  await tick();
  assert.equal(calls.length, 2, 'the others wait for a slot');
  calls[0].release();
  assert.deepEqual(await a, ['r1']);
  await tick();
  assert.deepEqual(calls[2].items, [4, 5, 6, 7], 'everything that waited goes as one call');
  calls[1].release();
  calls[2].release();
  assert.deepEqual(await b, ['r2', 'r3']);
  assert.deepEqual(await Promise.all(waiting), [['r4'], ['r5', 'r6'], ['r7']], 'each caller gets its own results, in order');
});

test('a call holds at most maxItems (a caller is never split), the rest wait for the next slot', async () => {
  const { calls, run } = gated();
  const c = new Coalescer(run, { maxInFlight: 1, maxItems: 3, rowError });
  const first = c.add([0]);
  const rest = [c.add([1, 2]), c.add([3]), c.add([4, 5])];
  calls[0].release();
  await first;
  await tick();
  assert.deepEqual(calls[1].items, [1, 2, 3]);
  calls[1].release();
  await tick();
  await tick();
  assert.deepEqual(calls[2].items, [4, 5]);
  calls[2].release();
  assert.deepEqual(await Promise.all(rest), [['r1', 'r2'], ['r3'], ['r4', 'r5']]);
});

test('a bad row fails only its own caller: the group goes again one caller at a time', async () => {
  const runs: number[][] = [];
  const c = new Coalescer(
    async (items: number[]) => {
      runs.push(items);
      if (items.includes(13)) throw Object.assign(new Error('duplicate key'), { code: '23505' });
      return items.map(String);
    },
    { maxInFlight: 1, maxItems: 100, rowError },
  );
  const first = c.add([1]);
  const group = [c.add([2]), c.add([13]), c.add([3, 4])].map((p) => p.then((v) => ({ v }), (e: Error) => ({ e: e.message })));
  assert.deepEqual(await first, ['1']);
  assert.deepEqual(await Promise.all(group), [{ v: ['2'] }, { e: 'duplicate key' }, { v: ['3', '4'] }]);
  assert.deepEqual(runs, [[1], [2, 13, 3, 4], [2], [13], [3, 4]]);
});

test('a failure that is not a row\'s (the connection) fails every caller of the group, with no retry', async () => {
  let n = 0;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const c = new Coalescer(
    async (items: number[]) => {
      n++;
      if (n === 1) await gate;
      else throw Object.assign(new Error('connection terminated'), { code: undefined });
      return items.map(String);
    },
    { maxInFlight: 1, maxItems: 100, rowError },
  );
  const first = c.add([1]);
  const group = [c.add([2]), c.add([3])].map((p) => p.then(() => 'ok', (e: Error) => e.message));
  open();
  await first;
  assert.deepEqual(await Promise.all(group), ['connection terminated', 'connection terminated']);
  assert.equal(n, 2, 'one call for the group, none again');
});
