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
import { option } from './common.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(option('events', 30_000));
const ROUNDS = Number(option('rounds', 2));
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

  /** split.mjs's "accept only" and "deliver only" lines, each with its CPU per event (null if not printed). */
  const split = (cwd, env, args = []) => {
    const out = execFileSync(process.execPath, ['bench/split.mjs', `--events=${N}`, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
    const step = (prefix) => {
      const line = out.split('\n').find((l) => l.startsWith(prefix));
      return line ? { line, us: Number(/:\s+([\d.]+) us/.exec(line)[1]) } : null;
    };
    return { accept: step('accept only'), deliver: step('deliver only') };
  };

  const runs = { accept: [], deliver: [], floorAccept: [], floorDeliver: [] };
  for (let r = 1; r <= ROUNDS; r++) {
    const asIs = split(repo, {});
    console.log(`round ${r}, as is:          ${asIs.accept.line}\n                         ${asIs.deliver.line}`);
    const floorDeliver = split(copy, { HOOKRELAY_BENCH_FLOOR: 'deliver' }).deliver;
    console.log(`round ${r}, floor, deliver: ${floorDeliver.line}`);
    const floorAccept = split(copy, { HOOKRELAY_BENCH_FLOOR: 'accept' }, ['--accept-only']).accept;
    console.log(`round ${r}, floor, accept:  ${floorAccept.line}`);
    runs.accept.push(asIs.accept.us);
    runs.deliver.push(asIs.deliver.us);
    runs.floorDeliver.push(floorDeliver.us);
    runs.floorAccept.push(floorAccept.us);
  }
  const mean = (k) => runs[k].reduce((a, b) => a + b, 0) / ROUNDS;
  const total = mean('accept') + mean('deliver');
  const floor = mean('floorAccept') + mean('floorDeliver');
  console.log(`mean of ${ROUNDS} round(s), us of CPU per event: as is ${mean('accept').toFixed(1)} + ${mean('deliver').toFixed(1)} = ${total.toFixed(1)}; ` +
    `without the store ${mean('floorAccept').toFixed(1)} + ${mean('floorDeliver').toFixed(1)} = ${floor.toFixed(1)}; ` +
    `the storage path ${(total - floor).toFixed(1)} (${(((total - floor) / total) * 100).toFixed(0)}%)`);
} finally {
  fs.rmSync(copy, { recursive: true, force: true });
}
