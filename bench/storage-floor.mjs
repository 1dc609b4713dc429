#!/usr/bin/env node
// `node bench/storage-floor.mjs [--events=N] [--rounds=R]`
//
// What the service's CPU per delivery would be without its store: the floor that no storage
// design can go below, and so how much of today's cost the storage path (SQL, the storage
// thread's messages and the garbage they make) is. Measures, alternated R times (SQLite):
//   - as is:          `bench/split.mjs` on this checkout (accept, then deliver);
//   - floor, deliver: split.mjs on a copy of HEAD with bench/storage-floor.patch applied and
//                     HOOKRELAY_BENCH_FLOOR=deliver: the worker reads every job and event once
//                     before its first delivery (not counted: split counts from the first
//                     receipt), then claims from memory and records nothing;
//   - floor, accept:  the same copy, HOOKRELAY_BENCH_FLOOR=accept, `--accept-only`: publishes
//                     are validated, enveloped and answered but not stored.
// The patch lives only in the temporary copy; the service never carries these switches. If it no
// longer applies to HEAD, the script says so and stops: mend the patch with the code it edits.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opt = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const N = Number(opt('events', 30_000));
const ROUNDS = Number(opt('rounds', 2));
if (!Number.isInteger(N) || N < 1000 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error('usage: node bench/storage-floor.mjs [--events=N (>= 1000)] [--rounds=R (>= 1)]');
  process.exit(2);
}

const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-floor-'));
try {
  execFileSync('git', ['clone', '-q', repo, copy], { stdio: 'inherit' });
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(copy, 'node_modules'));
  try {
    execFileSync('git', ['apply', path.join(repo, 'bench/storage-floor.patch')], { cwd: copy, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    console.error(`bench/storage-floor.patch no longer applies to HEAD:\n${err.stderr}`);
    process.exit(1);
  }

  /** CPU per event of the last "accept only" / "deliver only" lines split.mjs printed. */
  const split = (cwd, env, args = []) => {
    const out = execFileSync(process.execPath, ['bench/split.mjs', `--events=${N}`, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
    const line = (prefix) => out.split('\n').find((l) => l.startsWith(prefix)) ?? null;
    const us = (l) => (l ? Number(/:\s+([\d.]+) us/.exec(l)[1]) : null);
    return { accept: line('accept only'), deliver: line('deliver only'), acceptUs: us(line('accept only')), deliverUs: us(line('deliver only')) };
  };

  const sums = { accept: 0, deliver: 0, floorAccept: 0, floorDeliver: 0 };
  for (let r = 1; r <= ROUNDS; r++) {
    const asIs = split(repo, {});
    console.log(`round ${r}, as is:          ${asIs.accept}\n                         ${asIs.deliver}`);
    const fd = split(copy, { HOOKRELAY_BENCH_FLOOR: 'deliver' });
    console.log(`round ${r}, floor, deliver: ${fd.deliver}`);
    const fa = split(copy, { HOOKRELAY_BENCH_FLOOR: 'accept' }, ['--accept-only']);
    console.log(`round ${r}, floor, accept:  ${fa.accept}`);
    sums.accept += asIs.acceptUs;
    sums.deliver += asIs.deliverUs;
    sums.floorDeliver += fd.deliverUs;
    sums.floorAccept += fa.acceptUs;
  }
  const mean = (v) => v / ROUNDS;
  const total = mean(sums.accept + sums.deliver);
  const floor = mean(sums.floorAccept + sums.floorDeliver);
  console.log(`mean of ${ROUNDS} round(s), us of CPU per event: as is ${mean(sums.accept).toFixed(1)} + ${mean(sums.deliver).toFixed(1)} = ${total.toFixed(1)}; ` +
    `without the store ${mean(sums.floorAccept).toFixed(1)} + ${mean(sums.floorDeliver).toFixed(1)} = ${floor.toFixed(1)}; ` +
    `the storage path ${(total - floor).toFixed(1)} (${(((total - floor) / total) * 100).toFixed(0)}%)`);
} finally {
  fs.rmSync(copy, { recursive: true, force: true });
}
