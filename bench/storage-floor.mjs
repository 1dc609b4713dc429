#!/usr/bin/env node
// `node bench/storage-floor.mjs [--events=N] [--rounds=R]`
//
// What the service's CPU per delivery would be without its store: the floor that no storage
// design can go below, and so how much of today's cost the storage path (SQL, the storage
// thread's messages and the garbage they make) is. Measures, alternated R times (SQLite):
//   - as is:          `bench/split.mjs` on a clean copy of HEAD (accept, then deliver);
//   - floor, deliver: split.mjs on a copy of HEAD with bench/storage-floor.patch applied and
//                     HOOKRELAY_BENCH_FLOOR=deliver: the worker reads every job and event once
//                     before its first delivery (not counted: split counts from the first
//                     receipt), then claims from memory and records nothing;
//   - floor, accept:  the same copy, HOOKRELAY_BENCH_FLOOR=accept, `--accept-only`: publishes
//                     are validated, enveloped and answered but not stored.
// The patch lives only in the temporary copy (bench/patched.mjs); the service never carries these
// switches.
import { option } from './common.mjs';
import { copyOfHead, mean as avg, removeCopies, split } from './patched.mjs';

const N = Number(option('events', 30_000));
const ROUNDS = Number(option('rounds', 2));
if (!Number.isInteger(N) || N < 1000 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error('usage: node bench/storage-floor.mjs [--events=N (>= 1000)] [--rounds=R (>= 1)]');
  process.exit(2);
}

try {
  // As is on a clean clone as well: this checkout may hold uncommitted changes the patched clone lacks.
  const asIsCopy = copyOfHead();
  const copy = copyOfHead('bench/storage-floor.patch');
  const runs = { accept: [], deliver: [], floorAccept: [], floorDeliver: [] };
  for (let r = 1; r <= ROUNDS; r++) {
    const asIs = split(asIsCopy, {}, [`--events=${N}`]);
    console.log(`round ${r}, as is:          ${asIs.accept.line}\n                         ${asIs.deliver.line}`);
    const floorDeliver = split(copy, { HOOKRELAY_BENCH_FLOOR: 'deliver' }, [`--events=${N}`]).deliver;
    console.log(`round ${r}, floor, deliver: ${floorDeliver.line}`);
    const floorAccept = split(copy, { HOOKRELAY_BENCH_FLOOR: 'accept' }, [`--events=${N}`, '--accept-only']).accept;
    console.log(`round ${r}, floor, accept:  ${floorAccept.line}`);
    runs.accept.push(asIs.accept.us);
    runs.deliver.push(asIs.deliver.us);
    runs.floorDeliver.push(floorDeliver.us);
    runs.floorAccept.push(floorAccept.us);
  }
  const mean = (k) => avg(runs[k]);
  const total = mean('accept') + mean('deliver');
  const floor = mean('floorAccept') + mean('floorDeliver');
  console.log(`mean of ${ROUNDS} round(s), us of CPU per event: as is ${mean('accept').toFixed(1)} + ${mean('deliver').toFixed(1)} = ${total.toFixed(1)}; ` +
    `without the store ${mean('floorAccept').toFixed(1)} + ${mean('floorDeliver').toFixed(1)} = ${floor.toFixed(1)}; ` +
    `the storage path ${(total - floor).toFixed(1)} (${(((total - floor) / total) * 100).toFixed(0)}%)`);
} finally {
  removeCopies();
}
