#!/usr/bin/env node
// `npm run bench:ab -- --a=REF --b=REF [--rounds=N] [--only=sqlite|postgres] [--phases=throughput,...]
//                     [--a-patch=FILE] [--b-patch=FILE] [--a-env="K=V ..."] [--b-env="K=V ..."]
//                     [--a-node-args="..."] [--b-node-args="..."]`
//
// An A/B of two versions of the service, the way every change to the hot path was decided: the
// phases of `npm run bench` (run.mjs) for A and for B in turn, N pairs in A B, B A, A B ... order
// so that the machine's drift falls on both, each in a clean clone of its commit (patched.mjs:
// this checkout's node_modules linked, a patch applied if given), with its own environment
// (HOOKRELAY_* settings) or node flags (BENCH_NODE_ARGS) if given. A and B may be the same commit
// with different settings. On this shared machine a single run moves by ±25%, CPU per delivery
// by less: read the CPU first, and the count of pairs in which B was lower.
// Prints one line per run and a summary; the runs' -partial results stay out of bench/results.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { option, percentiles } from './common.mjs';
import { copyOfHead, removeCopies } from './patched.mjs';

const ROUNDS = Number(option('rounds', 3));
const ONLY = option('only', 'sqlite');
const PHASES = option('phases', 'throughput');
const words = (s) => (s ?? '').split(' ').filter(Boolean);
const side = (name) => ({
  name,
  ref: option(name),
  patch: option(`${name}-patch`, null),
  // [name, value] per K=V word; a word without a name ('' first) stops the script below.
  env: words(option(`${name}-env`)).map((w) => (w.indexOf('=') > 0 ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : ['', w])),
  nodeArgs: option(`${name}-node-args`, ''),
});
const A = side('a');
const B = side('b');
if (!A.ref || !B.ref || !Number.isInteger(ROUNDS) || ROUNDS < 1 || !['sqlite', 'postgres'].includes(ONLY) || [A, B].some((s) => s.env.some(([k]) => !k))) {
  console.error('usage: npm run bench:ab -- --a=REF --b=REF [--rounds=N] [--only=sqlite|postgres] [--phases=throughput,...] [--a-patch=FILE] [--a-env="K=V ..."] [--a-node-args="..."] (and --b-...)');
  process.exit(2);
}

/** The figures of one run: the phases' results as run.mjs saved them. */
function runOnce(s) {
  const env = { ...process.env, ...Object.fromEntries(s.env) };
  if (s.nodeArgs) env.BENCH_NODE_ARGS = s.nodeArgs;
  else delete env.BENCH_NODE_ARGS;
  const results = path.join(s.dir, 'bench/results');
  try {
    execFileSync(process.execPath, ['bench/run.mjs', `--only=${ONLY}`, `--phases=${PHASES}`], { cwd: s.dir, env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`bench/run.mjs failed for ${s.name.toUpperCase()} (${s.ref}):\n${err.stderr ?? err.message}`);
  }
  // The clone starts with no -partial results (git ignores them) and each run's are removed below:
  // the one there is this run's.
  const file = fs.readdirSync(results).find((f) => f.endsWith('-partial.json'));
  const saved = JSON.parse(fs.readFileSync(path.join(results, file), 'utf8'));
  for (const f of fs.readdirSync(results)) if (f.includes('-partial.')) fs.rmSync(path.join(results, f));
  return { limit: saved.limit?.per_s ?? null, rss: saved.results[ONLY].rss_mb, phases: saved.results[ONLY] };
}

const fmt = (n, d = 0) => (n === null || n === undefined ? '-' : n.toFixed(d));
/** One line per phase run: its rate, ratio and CPU, or its latency. */
function describe(r) {
  const parts = [];
  for (const phase of ['throughput', 'fanout']) {
    const p = r.phases[phase];
    if (!p) continue;
    const t = p.service_cpu_by_thread;
    const ratio = r.limit ? ` (${fmt(p.deliveries_per_s / r.limit, 3)} x)` : '';
    parts.push(`${phase} ${fmt(p.deliveries_per_s)}/s${ratio}, service ${fmt(t.total, 1)} us (${fmt(t.main)} + ${fmt(t.busiest_other)} + ${fmt(t.rest)})`);
  }
  const l = r.phases.latency;
  if (l) parts.push(`latency p50 ${fmt(l.p50, 1)} p99 ${fmt(l.p99, 1)} ms`);
  return `${parts.join('; ')}; peak RSS ${fmt(r.rss, 1)} MB${r.limit ? `; limit ${fmt(r.limit)}/s` : ''}`;
}

/** "median A x, B y" of one figure over the runs (the lower middle one for an even count). */
const medians = (runs, figure, d, unit) => ['a', 'b'].map((k) => `${k.toUpperCase()} ${fmt(percentiles(runs[k].map(figure)).p50, d)}${unit}`).join(', ');

try {
  for (const s of [A, B]) s.dir = copyOfHead(s.patch, s.ref);
  const runs = { a: [], b: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const s of i % 2 ? [B, A] : [A, B]) {
      const r = runOnce(s);
      runs[s.name].push(r);
      console.log(`${s.name.toUpperCase()} ${i + 1}: ${describe(r)}`);
    }
  }
  for (const s of [A, B]) console.log(`${s.name.toUpperCase()}: ${s.ref}${s.patch ? ` + ${s.patch}` : ''} ${s.env.map((kv) => kv.join('=')).join(' ')} ${s.nodeArgs}`);
  for (const phase of ['throughput', 'fanout']) {
    if (!runs.a[0].phases[phase]) continue;
    const cpu = (r) => r.phases[phase].service_cpu_by_thread.total;
    const rate = (r) => r.phases[phase].deliveries_per_s;
    const lower = runs.b.filter((r, i) => cpu(r) < cpu(runs.a[i])).length;
    console.log(`${phase}: service CPU per delivery, median ${medians(runs, cpu, 1, ' us')} (B lower in ${lower} of ${ROUNDS} pairs); deliveries/s median ${medians(runs, rate, 0, '')}`);
  }
  console.log(`peak RSS: median ${medians(runs, (r) => r.rss, 1, ' MB')}`);
  if (runs.a[0].phases.latency) {
    console.log(`latency: p99 median ${medians(runs, (r) => r.phases.latency.p99, 1, ' ms')}`);
  }
} finally {
  removeCopies();
}
