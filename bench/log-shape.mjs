#!/usr/bin/env node
// `node bench/log-shape.mjs [--events=N] [--rounds=R] [--engine=sqlite|postgres] [--throughput] [--fanout] [--no-split]`
//
// What the storage redesign weighed in bench/HISTORY.md against the throughput targets (an event log
// read by a cursor, only outcomes written, instead of a job row inserted, leased and completed
// beside an attempt row) would buy end to end, before anyone builds it. bench/log-shape.patch
// (applied to a temporary copy of HEAD, never in the service) answers the storage thread's hot
// calls in two other ways (see its src/store/sqlite/log-shape.ts for what it leaves out):
//   - rows: HOOKRELAY_BENCH_LOG=rows, today's tables and statements, each hot call run
//           synchronously on raw prepared statements in one transaction: the async Db layer
//           and multi-row chunks apart from the data model;
//   - log:  HOOKRELAY_BENCH_LOG=1, events inserted once into a log with their target webhooks,
//           claims read after an in-memory position, an outcome row per attempt and a cursor;
//   - slim: HOOKRELAY_BENCH_LOG=slim, the log with outcomes that leave out the request headers
//           (the webhook's settings determine them) and the attempt's random id;
//   - targets: HOOKRELAY_BENCH_LOG=targets (SQLite only), the log as docs/event-log.md proposes
//           it: a narrow row per target and a read position and cursor per webhook, claims read
//           webhook by webhook through the (webhook_id, seq) index.
// Alternated R times, each on its own clean copy: bench/split.mjs (accept, then deliver) as is,
// rows and targets (SQLite only), log, slim. With --throughput, then R alternated rounds of the throughput
// phase of `npm run bench` (--only=ENGINE --phases=throughput), each shape but rows:
// deliveries/s against the limit of the same run. With --fanout, the same for the fan-out phase
// (1,000 events to 100 webhooks), where one read position per webhook is what `targets` changes.
// --no-split leaves the split runs out. On PostgreSQL the CPU per event counts the server's as well.
import { execFileSync } from 'node:child_process';
import { option } from './common.mjs';
import { copyOfHead, mean, removeCopies, split } from './patched.mjs';

const N = Number(option('events', 30_000));
const ROUNDS = Number(option('rounds', 2));
const ENGINE = option('engine', 'sqlite');
if (!Number.isInteger(N) || N < 1000 || !Number.isInteger(ROUNDS) || ROUNDS < 1 || !['sqlite', 'postgres'].includes(ENGINE)) {
  console.error('usage: node bench/log-shape.mjs [--events=N (>= 1000)] [--rounds=R (>= 1)] [--engine=sqlite|postgres] [--throughput] [--fanout] [--no-split]');
  process.exit(2);
}

/** One phase of `npm run bench` (throughput or fanout) in `cwd`: its ratio to the limit and a line to print. */
function phase(cwd, env, name) {
  let out;
  try {
    // Its progress (stderr) is shown only if it fails; its results are saved in the copy, removed with it.
    out = execFileSync(process.execPath, ['bench/run.mjs', `--only=${ENGINE}`, `--phases=${name}`], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    console.error(err.stderr);
    throw err;
  }
  const lines = out.trim().split('\n');
  const cell = (label) => lines.find((l) => l.includes(label))?.split('|')[2].trim();
  const { limit_per_s: limit, [ENGINE]: e } = JSON.parse(lines.at(-1));
  const fanout = name === 'fanout';
  const rate = fanout ? e?.fanout_per_s : e?.deliveries_per_s;
  // A phase that failed has no figure (run.mjs says why in its table): stop rather than average a NaN.
  if (!(rate > 0) || !(limit > 0)) throw new Error(`the ${name} phase gave no figure:\n${out}`);
  const value = rate / limit;
  const parts = ENGINE === 'sqlite' ? 'service + receiver' : 'service + PostgreSQL + receiver';
  const tail = fanout ? `duplicates ${cell('duplicates received')}` : `CPU per delivery (${parts}) ${cell('CPU per delivery')} us`;
  return { value, text: `${rate} deliveries/s${fanout ? ' to 100 webhooks' : ''} against a limit of ${limit}/s: ${value.toFixed(3)} x; ${tail}` };
}

/** bench/split.mjs in `cwd`: CPU per event, accept + deliver (+ the server's on PostgreSQL), and its two lines. */
/** The last commit before SQLite's event log was built: the code the prototype patches. */
const BASE = '7abd384';

function splitRun(cwd, env) {
  const s = split(cwd, env, [`--events=${N}`, `--engine=${ENGINE}`]);
  return { value: s.accept.us + s.accept.db + s.deliver.us + s.deliver.db, text: `${s.accept.line}\n${' '.repeat('split 1, '.length + 8)}${s.deliver.line}` };
}

/** R alternated rounds of `measure` over the shapes, each line printed as it comes, then the means. */
function alternate(label, runShapes, measure, meaning, digits) {
  const values = new Map(runShapes.map(([shape]) => [shape, []]));
  for (let r = 1; r <= ROUNDS; r++) {
    for (const [shape, dir, env] of runShapes) {
      const m = measure(dir, env);
      console.log(`${label} ${r}, ${shape.padEnd(7)} ${m.text}`);
      values.get(shape).push(m.value);
    }
  }
  console.log(`${label}, mean of ${ROUNDS} round(s), ${meaning}: ${[...values].map(([shape, xs]) => `${shape} ${mean(xs).toFixed(digits)}`).join(', ')}`);
}

try {
  // Both at the commit the patch was written for: since 98b36f2 SQLite's queue is the log itself
  // (src/store/sqlite/log-store.ts), and the prototype measures the design against jobs rows.
  const asIs = copyOfHead(null, BASE);
  const patched = copyOfHead('bench/log-shape.patch', BASE);
  const shapes = [['as is', asIs, {}], ['rows', patched, { HOOKRELAY_BENCH_LOG: 'rows' }], ['log', patched, { HOOKRELAY_BENCH_LOG: '1' }], ['slim', patched, { HOOKRELAY_BENCH_LOG: 'slim' }], ['targets', patched, { HOOKRELAY_BENCH_LOG: 'targets' }]]
    .filter(([name]) => ENGINE === 'sqlite' || !['rows', 'targets'].includes(name));
  if (!process.argv.includes('--no-split')) {
    alternate('split', shapes, splitRun, `us of CPU per event (accept + deliver${ENGINE === 'postgres' ? ', service + PostgreSQL' : ''})`, 1);
  }
  // rows is a code path, not a data model: whole runs are for the shapes that change the model.
  const runShapes = shapes.filter(([name]) => name !== 'rows');
  for (const name of ['throughput', 'fanout']) {
    if (process.argv.includes(`--${name}`)) alternate(name, runShapes, (dir, env) => phase(dir, env, name), 'ratio to the limit', 3);
  }
} finally {
  removeCopies();
}
