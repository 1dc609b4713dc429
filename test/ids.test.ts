// Row ids: UUIDv7 strings whose first 48 bits are the creation time, unique, ordered by time.
import assert from 'node:assert/strict';
import test from 'node:test';
import { newId } from '../src/domain/ids.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

test('newId gives UUIDv7 strings carrying the current millisecond', () => {
  const before = Date.now();
  const id = newId();
  const after = Date.now();
  assert.match(id, UUID_V7);
  assert.ok(msOf(id) >= before && msOf(id) <= after, `${msOf(id)} within [${before}, ${after}]`);
});

test('ids made in the same millisecond differ, and a later millisecond sorts after', async () => {
  const burst = Array.from({ length: 10_000 }, () => newId());
  assert.equal(new Set(burst).size, burst.length, 'no two alike');
  for (const id of burst) assert.match(id, UUID_V7);
  const first = burst[0];
  await new Promise((r) => setTimeout(r, 5));
  const later = newId();
  assert.ok(msOf(later) > msOf(first), 'the time part moved on');
  assert.ok(later > first, 'and orders the ids as text');
});
