#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --profile] [-- --only=sqlite|postgres]`
//
// End to end, with real processes on loopback (127.0.0.1 only):
//   receiver  bench/receiver.mjs   node:http, answers 204, stamps receipts (forked, IPC)
//   limit     bench/limit.mjs      the service's HTTP client straight to the receiver, same signing, 64 in flight
//   service   node bin/hookrelay.mjs serve  (API + worker in one process), SQLite then PostgreSQL
//   load      bench/load.mjs       publishes through the HTTP API with a bearer token
// Figures per engine: sustained deliveries/s (N events of ~1 KB to one signed webhook, batches of
// 100, first publish to last receipt), publish-to-receipt latency at 1,000 events/s open loop,
// fan-out to 100 webhooks, peak RSS (VmHWM) of the service, and the CPU time each delivery cost
// (service, PostgreSQL cluster, receiver; the limit's client and receiver per request; see
// cpu.mjs), by thread of the service, and how busy the machine was. Each phase gets a fresh
// service on a fresh database, so no phase inherits another's backlog, and is counted after a
// warm-up in the same processes (a tenth of its size; the latency phase's is 3 s at its rate),
// as is each limit run, so both sides are measured in their steady state. The limit runs before
// and after the engines; the better of the two is the limit. Prints a table and, as the last line, one JSON
// object; saves both under bench/results/.
//
//   --quick      small version, within 60 s: phases that do not complete within their time
//                budget are cut and reported from what arrived (marked partial, see below)
//   --profile    one quick SQLite pass with the service under `node --cpu-prof`, then a summary
//                of the top self-time functions (profiles in --prof-dir=DIR, default /tmp/prof)
//   --only=X     sqlite or postgres only
//   --phases=X   some of throughput,latency,fanout (for working on one figure)
//
// Partial phases: throughput is then deliveries received / time from first publish to the cut;
// latency percentiles count every missing delivery at a lower bound of its latency (cut time
// minus the end of publishing), so a cut never flatters the figure. Both are marked with ">=" or
// "<=" in the table and listed under "partial" in the saved JSON.
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIG_SECRET, now, option, sleep } from './common.mjs';
import { busyPercent, clusterCpuUs, machineTicks, perThread, processCpuUs, threadCpuUs } from './cpu.mjs';
import { formatSummary, summarizeProfiles } from './profile-summary.mjs';
import { BENCH_SET, EXTRA_NODE_ARGS, PG_SETTINGS, benchToken, buildDist, createSignedHooks, freePort, keepServerLog, newPassword, serviceEnv, serviceSettings, spawnService } from './service.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');

// ---- arguments and sizes ----------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
for (const a of argv) {
  if (!/^--(quick|full|profile|only=.+|phases=.+|prof-dir=.+)$/.test(a)) {
    console.error(`bench: unknown argument ${a}\nusage: npm run bench [-- --quick] [-- --profile [--prof-dir=DIR]] [-- --only=sqlite|postgres] [-- --phases=throughput,latency,fanout]`);
    process.exit(2);
  }
}
const PROFILE = flag('profile');
const QUICK = flag('quick') || (PROFILE && !flag('full')); // --profile --full: profile at full sizes
// With BENCH_PG_SETTINGS (service.mjs) the server's log is kept at PG_LOG_COPY and the run says so
// in its notes.
const PG_LOG_COPY = path.join(os.tmpdir(), 'hookrelay-bench-postgres.log');
// A run of some engines or phases only, or with extra node flags or server settings, is saved
// as `-partial`: it must never take the file name of a full run of the same commit (one did).
const PARTIAL = ['only', 'phases'].some((k) => option(k) !== undefined) || EXTRA_NODE_ARGS.length > 0 || PG_SETTINGS.length > 0;
const MODE = (PROFILE ? (QUICK ? 'profile' : 'profile-full') : QUICK ? 'quick' : 'full') + (PARTIAL ? '-partial' : '');
const PROF_DIR = path.resolve(option('prof-dir') ?? '/tmp/prof');
const RUN_ID = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
let engines = PROFILE ? ['sqlite'] : ['sqlite', 'postgres'];
if (option('only')) {
  engines = option('only').split(',');
  if (!engines.every((e) => e === 'sqlite' || e === 'postgres')) {
    console.error('bench: --only takes sqlite and/or postgres');
    process.exit(2);
  }
}

// A subset of the phases, for working on one figure; the summary then lacks the others.
const PHASE_LIST = (option('phases') ?? 'throughput,latency,fanout').split(',');
if (!PHASE_LIST.every((p) => ['throughput', 'latency', 'fanout'].includes(p))) {
  console.error('bench: --phases takes throughput, latency and/or fanout');
  process.exit(2);
}

const SIZES = QUICK
  ? { events: 5_000, latencyRate: 1_000, latencyMs: 5_000, warmupMs: 1_000, fanoutEvents: 50, fanoutHooks: 100 }
  : { events: 100_000, latencyRate: 1_000, latencyMs: 30_000, warmupMs: 3_000, fanoutEvents: 1_000, fanoutHooks: 100 };
// Warm-ups, reported and not counted: a tenth of each batch phase (events, and fan-out events to
// its webhooks) and of each limit run (requests), in the same processes just before the counted run.
const WARMUP_SHARE = 0.1;
const warmupOf = (n) => Math.max(1, Math.round(n * WARMUP_SHARE));
const BATCH = 100;
const PUBLISH_CONCURRENCY = 4; // in-flight batch publishes
// In-flight requests of the limit client: twice what one webhook gets in the service by default
// (HOOKRELAY_ENDPOINT_CONCURRENCY 32), so the limit is never held back by a smaller pipeline.
const LIMIT_IN_FLIGHT = 64;
// Time budgets: a phase still incomplete after its budget (from the first publish) is cut.
// Quick: sized so that both engines fit in 60 s with fixed costs (starts, cluster) included.
const BUDGET_MS = QUICK
  ? { limit: 8_000, throughput: 5_000, latency: SIZES.latencyMs + 1_500, fanout: 4_500 }
  : { limit: 120_000, throughput: 20 * 60_000, latency: SIZES.latencyMs + 10 * 60_000, fanout: 10 * 60_000 };
const RUN_TIMEOUT_MS = QUICK ? 180_000 : 120 * 60_000;

// ---- process bookkeeping: every child is killed on exit or failure ----------------------------
const children = new Set();
const cleanups = [];
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
function killChildren() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killChildren);
let aborting = false;
async function abort(code, why) {
  if (aborting) return;
  aborting = true;
  if (why) console.error(`bench: ${why}`);
  killChildren();
  await runCleanups();
  process.exit(code);
}
/**
 * Last registered first, each once, whatever the others do: a cleanup that threw (even
 * synchronously) used to end the loop and send the run to abort(), which ran them all again in
 * the other order (reverse() reorders in place), e.g. copying the PostgreSQL log after its
 * cluster was removed.
 */
async function runCleanups() {
  while (cleanups.length) {
    const cleanup = cleanups.pop();
    await (async () => cleanup())().catch(() => {});
  }
}
process.on('SIGINT', () => void abort(130, 'interrupted'));
process.on('SIGTERM', () => void abort(143, 'terminated'));
const runTimer = setTimeout(() => void abort(1, `run exceeded ${RUN_TIMEOUT_MS / 1000} s; stopped`), RUN_TIMEOUT_MS);

const T0 = now();
const log = (msg) => process.stderr.write(`[bench ${((now() - T0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

// ---- receiver -----------------------------------------------------------------------------------
async function startReceiver() {
  const child = track(fork(path.join(here, 'receiver.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const waiters = new Map(); // `${cmd}:${phase}` -> resolve
  child.on('message', (m) => {
    const key = `${m.cmd}:${m.phase ?? m.stats?.phase ?? ''}`;
    const w = waiters.get(key) ?? waiters.get(`${m.cmd}:`);
    if (w) {
      waiters.delete(waiters.has(key) ? key : `${m.cmd}:`);
      w(m);
    }
  });
  const next = (cmd, phase = '') => new Promise((resolve) => waiters.set(`${cmd}:${phase}`, resolve));
  const { port } = await withTimeout(next('listening'), 10_000, 'receiver start');
  return {
    port,
    pid: child.pid,
    /** Arms a phase; returns { done } (wrapped: an async function returning the bare promise would wait for it). */
    async arm(phase, total, perHook) {
      const armed = next('armed', phase);
      child.send({ cmd: 'arm', phase, total, perHook, secret: SIG_SECRET });
      await withTimeout(armed, 5000, 'receiver arm');
      return { phase, total, done: next('done', phase) };
    },
    async stats(missingFloorMs = null) {
      const p = next('stats');
      child.send({ cmd: 'stats', missingFloorMs });
      return (await withTimeout(p, 5000, 'receiver stats')).stats;
    },
    stop() {
      child.send({ cmd: 'exit' });
    },
  };
}

/**
 * A forked bench process (load.mjs or limit.mjs) that runs tasks one after another, each bounded
 * in time. Reusing one for consecutive tasks keeps it warm: the latency phase stamps each event's
 * publish time in the load generator, and a freshly started generator (node's start-up, undici's
 * HTTP parser compiled on its first request) on the same two cores delayed the first events of
 * the measured window. Run of 2026-11-23 with a new generator per task: the window's first 0.3 s
 * had p50 33-46 ms and 286 of the window's 518 events over 20 ms (the p99 is its 300th slowest).
 */
function taskProcess(file) {
  const child = track(fork(path.join(here, file), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  let waiting = null;
  child.on('message', (m) => {
    const w = waiting;
    waiting = null;
    if (!w) return;
    if (m.ok) w.resolve(m.result);
    else w.reject(new Error(`${file} ${w.kind}: ${m.error}`));
  });
  child.on('exit', (code, signal) => waiting?.reject(new Error(`${file} ${waiting.kind} exited (${code ?? signal}) without a result`)));
  return {
    run(t, timeoutMs) {
      const p = new Promise((resolve, reject) => {
        waiting = { kind: t.kind, resolve, reject };
        child.send({ cmd: 'task', task: { ...t, deadlineMs: timeoutMs } });
      });
      return withTimeout(p, timeoutMs + 30_000, `${file} ${t.kind}`);
    },
    close() {
      if (child.connected) child.send({ cmd: 'exit' });
    },
  };
}

/**
 * Waits until the receiver has every delivery of the phase or the cut time comes. On a cut,
 * the stats count missing deliveries at a latency of (cut - publishedUntil), a lower bound.
 */
async function awaitDeliveries(receiver, armed, cutAt, publishedUntil) {
  const wait = Math.max(0, cutAt - now());
  try {
    const s = (await withTimeout(armed.done, wait, armed.phase)).stats;
    return { ...s, partial: false };
  } catch {
    const cut = now();
    const s = await receiver.stats(cut - publishedUntil);
    log(`${armed.phase}: cut at its time budget with ${s.unique} of ${s.total} deliveries received`);
    return { ...s, partial: true, cutAt: cut };
  }
}

// ---- the service --------------------------------------------------------------------------------
function readStatus(pid) {
  try {
    const txt = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(txt)?.[1] ?? 0);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return null;
  }
}

function tailFile(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function startService(engine, phase, databaseUrl, tmp) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const password = newPassword();
  const dataDir = path.join(tmp, `${engine}-${phase}`);
  fs.mkdirSync(dataDir, { recursive: true });
  const env = serviceEnv(serviceSettings({ port, dataDir, databaseUrl: databaseUrl ?? path.join(dataDir, 'hookrelay.db'), password }));
  // One directory per phase; node names each file CPU.<date>.<time>.<pid>.<thread>.<seq>, thread 0
  // being the main thread (tsx's module loader thread writes its own, smaller, profile).
  // Started the way `npm start` starts it: compiled dist/ (built at the start of the run), the
  // same node flags and the same malloc settings (service.mjs).
  const profArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROF_DIR, `${RUN_ID}-${engine}-${phase}`)}`] : [];
  const logFile = path.join(tmp, `service-${engine}-${phase}.log`);
  const out = fs.openSync(logFile, 'a');
  const t = now();
  const child = track(spawnService(['serve'], env, ['ignore', out, out], profArgs));
  fs.closeSync(out);
  let exited = null;
  const exitedP = new Promise((r) => child.once('exit', (code, signal) => r((exited = { code, signal }))));

  // Peak RSS: VmHWM is the kernel's high-water mark; VmRSS is sampled as a cross-check.
  let peak = { rssKb: 0, hwmKb: 0 };
  const sample = () => {
    const s = readStatus(child.pid);
    if (s) peak = { rssKb: Math.max(peak.rssKb, s.rssKb), hwmKb: Math.max(peak.hwmKb, s.hwmKb) };
  };
  const sampler = setInterval(sample, 100);

  const stop = async () => {
    clearInterval(sampler);
    sample();
    if (!exited) {
      child.kill('SIGTERM');
      const gone = await Promise.race([exitedP.then(() => true), sleep(10_000).then(() => false)]);
      if (!gone) {
        log(`service (${engine}) did not stop on SIGTERM within 10 s; killing`);
        child.kill('SIGKILL');
        await Promise.race([exitedP, sleep(5000)]);
      }
    }
    return exited;
  };

  const deadline = now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`service (${engine}) exited during start (${exited.code ?? exited.signal}); log:\n${tailFile(logFile)}`);
    if (now() > deadline) {
      await stop();
      throw new Error(`service (${engine}) not ready within 30 s; log:\n${tailFile(logFile)}`);
    }
    try {
      const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  const startMs = now() - t;
  const token = await benchToken(base, password);
  return { base, token, pid: child.pid, logFile, startMs, peak: () => (sample(), peak), stop };
}

// ---- phases ---------------------------------------------------------------------------------------
/** `count` signed requests by the limit's `client` process, counted by the receiver as `label`. */
async function limitRequests(client, receiver, label, count) {
  const armed = await receiver.arm(label, count, count);
  const r = await client.run({ kind: 'limit', url: `http://127.0.0.1:${receiver.port}/h/0`, count, concurrency: LIMIT_IN_FLIGHT }, BUDGET_MS.limit);
  const s = await awaitDeliveries(receiver, armed, now() + 5000, r.lastAt);
  if (r.errors) throw new Error(`${label}: ${r.errors} requests failed`);
  if (s.partial) throw new Error(`${label}: the receiver counted ${s.unique} of ${count}`);
  return { r, s, perS: count / ((s.lastAt - r.firstAt) / 1000) };
}

async function runLimit(receiver, label) {
  const n = SIZES.events;
  const w = warmupOf(n);
  log(`limit (${label}): ${n} signed requests straight to the receiver, ${LIMIT_IN_FLIGHT} in flight, after ${w} not counted`);
  // The client's warm-up in the process that then runs the counted requests: the service's phases
  // are counted after a warm-up too (see batchPhase), so both sides are measured in their steady state.
  const client = taskProcess('limit.mjs');
  try {
    const warm = await limitRequests(client, receiver, `limit-${label}-warmup`, w);
    const receiverCpu = processCpuUs(receiver.pid);
    const ticks = machineTicks();
    const { r, s, perS } = await limitRequests(client, receiver, `limit-${label}`, n);
    const cpu = { client: r.cpuUs / n, receiver: (processCpuUs(receiver.pid) - receiverCpu) / n };
    const busy = busyPercent(ticks, machineTicks());
    log(`limit (${label}): ${perS.toFixed(0)}/s (warm-up ${warm.perS.toFixed(0)}/s), CPU per request ${cpu.client.toFixed(0)} us client + ${cpu.receiver.toFixed(0)} us receiver`);
    return { per_s: perS, seconds: (s.lastAt - r.firstAt) / 1000, loadavg: os.loadavg()[0], cpu_us_per_request: cpu, machine_busy_pct: busy, warmup: { requests: w, per_s: warm.perS } };
  } finally {
    client.close();
  }
}

/** Receipts up to `t` by the receiver's timeline (counts per `ms` from its first receipt; the slot holding t prorated). */
function receivedBy(s, t) {
  const { ms, counts } = s.timeline;
  const x = (t - s.firstAt) / ms;
  if (!(x > 0)) return 0;
  let n = 0;
  for (let i = 0; i < counts.length && i < x; i++) n += counts[i] * Math.min(1, x - i);
  return n;
}

/**
 * Figures of a phase that publishes in batches and counts deliveries per second; also its rate
 * while it still publishes and after the last publish was accepted: accepting shares the cores
 * with delivering, so the two rates show what each costs.
 */
function rate(pub, s, deliveries) {
  const end = s.partial ? s.cutAt : s.lastAt;
  const during = s.firstAt === null ? 0 : receivedBy(s, pub.lastAckAt);
  return {
    deliveries_per_s: s.unique / ((end - pub.firstAt) / 1000),
    while_publishing_per_s: during / ((pub.lastAckAt - pub.firstAt) / 1000),
    after_publishing_per_s: end > pub.lastAckAt ? (s.unique - during) / ((end - pub.lastAckAt) / 1000) : null,
    delivered: s.unique, deliveries, seconds: (end - pub.firstAt) / 1000, partial: s.partial,
  };
}

/**
 * Publishes `events` in batches through the load generator `gen`, each to the `hooks` webhooks,
 * and waits for the deliveries until `budgetMs` after the first publish.
 */
async function batchRun(gen, svc, receiver, label, events, hooks, budgetMs) {
  const armed = await receiver.arm(label, events * hooks, events);
  const t = now();
  const pub = await gen.run({ kind: 'batches', base: svc.base, token: svc.token, events, batchSize: BATCH, concurrency: PUBLISH_CONCURRENCY }, budgetMs + 60_000);
  const s = await awaitDeliveries(receiver, armed, t + budgetMs, pub.lastAckAt);
  return { pub, s, r: rate(pub, s, events * hooks) };
}

/**
 * A phase that publishes `events` in batches to `hooks` new webhooks (prefix `prefix`), counted
 * after a warm-up of a tenth of them, published and delivered in full, reported and not counted.
 * Every phase starts a fresh service, and in its first seconds V8 compiles the hot code on its
 * helper threads: in a run of the throughput phase (2026-12-06, --trace-opt) 474 TurboFan
 * compilations took 3.2 s, ~32 us per delivery of the 100,000, which a service running for days
 * pays once; the "rest" threads of the service (V8's helpers) used 45-48 us per delivery, the
 * limit's client ~1-3% of a core after its first second. `mark` starts the phase's CPU count
 * (runEngine) after the warm-up.
 */
function batchPhase(name, prefix, events, hooks) {
  return async (svc, receiver, mark) => {
    await createSignedHooks(svc.base, svc.token, receiver.port, prefix, hooks);
    const gen = taskProcess('load.mjs');
    try {
      const w = warmupOf(events);
      const warm = await batchRun(gen, svc, receiver, `${name}-warmup`, w, hooks, BUDGET_MS[name]);
      if (warm.r.partial) throw new Error(`${name} warm-up: ${warm.r.delivered} of ${w * hooks} deliveries within the budget`);
      log(`  warm-up: ${w * hooks} deliveries, ${warm.r.deliveries_per_s.toFixed(0)}/s (not counted)`);
      mark();
      const { pub, s, r } = await batchRun(gen, svc, receiver, name, events, hooks, BUDGET_MS[name]);
      log(`  published ${events} in ${((pub.lastAckAt - pub.firstAt) / 1000).toFixed(1)} s (${pub.publishPerS.toFixed(0)} events/s accepted); ${r.deliveries_per_s.toFixed(0)} deliveries/s${r.partial ? ' (partial)' : ''} (${r.while_publishing_per_s.toFixed(0)}/s while publishing, ${r.after_publishing_per_s?.toFixed(0) ?? '-'}/s after)`);
      return { ...r, publish: pub, receiver: s, warmup: { events: w, deliveries: w * hooks, deliveries_per_s: warm.r.deliveries_per_s } };
    } finally {
      gen.close();
    }
  };
}

const PHASES = {
  throughput: batchPhase('throughput', 'tp', SIZES.events, 1),
  async latency(svc, receiver, mark) {
    const total = Math.round((SIZES.latencyRate * SIZES.latencyMs) / 1000);
    await createSignedHooks(svc.base, svc.token, receiver.port, 'lat', 1);
    // Warm-up at the same rate, reported but not counted: every phase starts a fresh service, and
    // its first second (JIT, first connections) is not the steady state a running service is in.
    // Without it the 30 s figures of one run (2026-11-22) had p50 2 ms and p99 1,083 ms, all of the
    // tail from a backlog built in the first two seconds.
    const warm = Math.round((SIZES.latencyRate * SIZES.warmupMs) / 1000);
    const warmArmed = await receiver.arm('latency-warmup', warm, warm);
    const wt = now();
    // One load generator for the warm-up and the window: see taskProcess.
    const gen = taskProcess('load.mjs');
    try {
      const wpub = await gen.run({ kind: 'openloop', base: svc.base, token: svc.token, rate: SIZES.latencyRate, durationMs: SIZES.warmupMs, maxInflight: warm, drainMs: 10_000 }, 60_000);
      const ws = await awaitDeliveries(receiver, warmArmed, wt + SIZES.warmupMs + 10_000, wpub.lastAt);
      log(`  warm-up: ${warm} events at ${SIZES.latencyRate}/s, p50 ${ws.latency.p50.toFixed(1)} ms, p99 ${ws.latency.p99.toFixed(1)} ms (not counted)`);
      const warmup = { events: warm, p50: ws.latency.p50, p99: ws.latency.p99, max: ws.latency.max, missing: ws.missing };
      mark();
      const armed = await receiver.arm('latency', total, total);
      const t = now();
      // Answers to publishes are awaited only within the phase budget (a service that accepts fewer
      // than the offered rate would otherwise stretch the phase far beyond it).
      const pub = await gen.run({ kind: 'openloop', base: svc.base, token: svc.token, rate: SIZES.latencyRate, durationMs: SIZES.latencyMs, maxInflight: total, drainMs: BUDGET_MS.latency - SIZES.latencyMs }, BUDGET_MS.latency + 60_000);
      // Truly open loop: every event is sent on schedule (maxInflight = all of them), queueing in the
      // client behind a slow service; unanswered/unsent ones count as missing deliveries.
      if (pub.unanswered) log(`  ${pub.unanswered} publishes still unanswered at the end of the budget`);
      if (pub.unsent) log(`  ${pub.unsent} events could not be sent on schedule (generator behind)`);
      const s = await awaitDeliveries(receiver, armed, t + BUDGET_MS.latency, pub.lastAt);
      log(`  p50 ${s.latency.p50.toFixed(1)} ms, p99 ${s.latency.p99.toFixed(1)} ms${s.partial ? ` (partial: ${s.missing} of ${total} not delivered, counted at >= ${(s.cutAt - pub.lastAt).toFixed(0)} ms)` : ''}`);
      return { offered_per_s: SIZES.latencyRate, seconds: SIZES.latencyMs / 1000, ...s.latency, delivered: s.unique, partial: s.partial, publish: pub, receiver: s, warmup };
    } finally {
      gen.close();
    }
  },
  fanout: batchPhase('fanout', 'fan', SIZES.fanoutEvents, SIZES.fanoutHooks),
};

const PHASE_TITLES = {
  throughput: () => `${SIZES.events} events of ~1 KB in batches of ${BATCH}, ${PUBLISH_CONCURRENCY} publishes in flight, 1 signed webhook`,
  latency: () => `${SIZES.latencyRate} events/s for ${SIZES.latencyMs / 1000} s, single-event publishes, open loop`,
  fanout: () => `${SIZES.fanoutEvents} events to ${SIZES.fanoutHooks} webhooks (${SIZES.fanoutEvents * SIZES.fanoutHooks} deliveries)`,
};

async function runEngine(engine, receiver, tmp) {
  let newDatabase = async () => null; // SQLite: the service's default file in its fresh data dir
  // Between phases the previous phase's writes are flushed (its database dropped first, on
  // PostgreSQL), so their checkpoint and writeback cannot run during, and count against, the next
  // phase: each phase starts from the same quiet state, as when run alone. (Measured 2026-11-23,
  // PostgreSQL latency p99 after the throughput phase: 57-67 ms with this, alone 19-95 ms; the
  // phase is too noisy to show more than that it does no harm.)
  let settle = async () => execFileSync('sync');
  let databaseCpuUs = () => 0; // SQLite runs inside the service process
  if (engine === 'postgres') {
    log('postgres: starting a throwaway cluster (scripts/pg-cluster.mjs)');
    const { startPgCluster } = await import('../scripts/pg-cluster.mjs');
    // Durable, as in production: the figures must not be bought by commits that are not on disk.
    const cluster = await startPgCluster({ durable: true, settings: PG_SETTINGS });
    cleanups.push(() => cluster.stop());
    if (PG_SETTINGS.length) {
      // The server's log outlives the throwaway cluster: what settings such as auto_explain wrote.
      cleanups.push(async () => {
        keepServerLog(cluster, PG_LOG_COPY);
        log(`postgres: server log copied to ${PG_LOG_COPY}`);
      });
    }
    databaseCpuUs = () => clusterCpuUs(cluster.dataDir);
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    cleanups.push(() => admin.end());
    const settings = (await admin.query(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync','synchronous_commit','full_page_writes','server_version','shared_buffers')`)).rows;
    pgSettings = Object.fromEntries(settings.map((r) => [r.name, r.setting]));
    newDatabase = async (phase) => {
      await admin.query(`CREATE DATABASE bench_${phase}`);
      return `postgres://postgres@127.0.0.1:${cluster.port}/bench_${phase}`;
    };
    settle = async (phase) => {
      await admin.query(`DROP DATABASE IF EXISTS bench_${phase}`);
      await admin.query('CHECKPOINT');
    };
  }
  const result = { engine, rss_mb: null, rss_sampled_mb: null, service_start_ms: [] };
  for (const phase of PHASE_LIST) {
    log(`${engine} ${phase}: ${PHASE_TITLES[phase]()}`);
    let svc;
    try {
      svc = await startService(engine, phase, await newDatabase(phase), tmp);
    } catch (err) {
      // A failed phase is recorded and the run goes on: the other figures are still worth having.
      log(`${engine} ${phase} FAILED: ${err.message}`);
      result[phase] = { error: err.message };
      continue;
    }
    result.service_start_ms.push(Math.round(svc.startMs));
    try {
      // Counted from mark(), which a phase calls again after its warm-up.
      let cpu0;
      const mark = () => (cpu0 = { service: processCpuUs(svc.pid), threads: threadCpuUs(svc.pid), database: databaseCpuUs(), receiver: processCpuUs(receiver.pid), ticks: machineTicks() });
      mark();
      result[phase] = await PHASES[phase](svc, receiver, mark);
      const n = result[phase].delivered;
      result[phase].cpu_us_per_delivery = {
        service: (processCpuUs(svc.pid) - cpu0.service) / n,
        database: engine === 'postgres' ? (databaseCpuUs() - cpu0.database) / n : null,
        receiver: (processCpuUs(receiver.pid) - cpu0.receiver) / n,
      };
      // Which thread of the service carried it, and whether the machine had cores to spare.
      result[phase].service_cpu_by_thread = perThread(svc.pid, cpu0.threads, threadCpuUs(svc.pid), n);
      result[phase].machine_busy_pct = busyPercent(cpu0.ticks, machineTicks());
    } catch (err) {
      log(`${engine} ${phase} FAILED: ${err.message}`);
      result[phase] = { error: err.message };
    } finally {
      const peak = svc.peak();
      const exit = await svc.stop();
      result[phase] && Object.assign(result[phase], { rss_mb: peak.hwmKb / 1024, service_exit: exit });
      result.rss_mb = Math.max(result.rss_mb ?? 0, peak.hwmKb / 1024);
      result.rss_sampled_mb = Math.max(result.rss_sampled_mb ?? 0, peak.rssKb / 1024);
      const tail = tailFile(svc.logFile);
      if (tail) (result.service_log ??= {})[phase] = tail;
      await settle(phase).catch((err) => log(`${engine} ${phase}: flushing its writes failed: ${err.message}`));
    }
  }
  return result;
}
// The throwaway cluster's durability settings, recorded with the results (it runs with fsync=off).
let pgSettings = null;

// ---- report ---------------------------------------------------------------------------------------
function machine() {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpu_model: cpus[0]?.model ?? null, total_memory_mb: Math.round(os.totalmem() / 1048576), os: `${os.type()} ${os.release()}`, node: process.version };
}

function commit() {
  const git = (...a) => execFileSync('git', a, { cwd: repo, encoding: 'utf8' }).trim();
  try {
    return { short: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain', '--', 'src', 'bin', 'package.json') !== '' };
  } catch {
    return { short: 'nogit', dirty: null };
  }
}

const bad = (v) => v === null || v === undefined || !Number.isFinite(v);
const f0 = (v) => (bad(v) ? '-' : Math.round(v).toLocaleString('en-US'));
const f1 = (v) => (bad(v) ? '-' : v.toFixed(1));
const f2 = (v) => (bad(v) ? '-' : v.toFixed(2));

/** "a + b + c" of the parts present (SQLite has no database process). */
const cpuCell = (cpu, keys) => (cpu ? keys.filter((k) => cpu[k] !== null && cpu[k] !== undefined).map((k) => f0(cpu[k])).join(' + ') : '-');

function table(limit, results) {
  const cols = engines;
  const r = (e) => results[e];
  // A cut phase: its rate is what arrived before the cut (an upper bound of what the full phase
  // would show, given a growing backlog, so "<="), its latencies are lower bounds (">=").
  const le = (ph, s) => (ph?.partial ? `<=${s}` : s);
  const ge = (ph, s) => (ph?.partial ? `>=${s}` : s);
  const rows = [
    ['limit: its HTTP client -> receiver, /s (best of 2)', ...cols.map(() => f0(limit.per_s))],
    ['  CPU per request, us: client + receiver (that run)', ...cols.map(() => cpuCell(limit.runs.find((l) => l.per_s === limit.per_s)?.cpu_us_per_request, ['client', 'receiver']))],
    ['  machine busy, % of all cores (that run)', ...cols.map(() => f0(limit.runs.find((l) => l.per_s === limit.per_s)?.machine_busy_pct))],
    [`sustained deliveries/s (${SIZES.events.toLocaleString('en-US')} events, 1 webhook)`, ...cols.map((e) => le(r(e)?.throughput, f0(r(e)?.throughput?.deliveries_per_s)))],
    ['  ratio to limit', ...cols.map((e) => le(r(e)?.throughput, f2(r(e)?.throughput?.deliveries_per_s / limit.per_s)))],
    ['  CPU per delivery, us: service + database + receiver', ...cols.map((e) => cpuCell(r(e)?.throughput?.cpu_us_per_delivery, ['service', 'database', 'receiver']))],
    ['    service by thread, us: main + busiest other + rest', ...cols.map((e) => cpuCell(r(e)?.throughput?.service_cpu_by_thread, ['main', 'busiest_other', 'rest']))],
    ['  machine busy, % of all cores', ...cols.map((e) => f0(r(e)?.throughput?.machine_busy_pct))],
    ['  publish accepted, events/s (load generator CPU per event, us)', ...cols.map((e) => `${f0(r(e)?.throughput?.publish?.publishPerS)} (${f0(r(e)?.throughput?.publish?.cpuUsPerEvent)})`)],
    ['  deliveries/s while publishing / after', ...cols.map((e) => `${f0(r(e)?.throughput?.while_publishing_per_s)} / ${f0(r(e)?.throughput?.after_publishing_per_s)}`)],
    ['  batch publish (100 events) p99, ms', ...cols.map((e) => f1(r(e)?.throughput?.publish?.requestMs?.p99))],
    [`latency at ${SIZES.latencyRate}/s for ${SIZES.latencyMs / 1000} s: p50 ms`, ...cols.map((e) => ge(r(e)?.latency, f1(r(e)?.latency?.p50)))],
    ['  p95 ms', ...cols.map((e) => ge(r(e)?.latency, f1(r(e)?.latency?.p95)))],
    ['  p99 ms', ...cols.map((e) => ge(r(e)?.latency, f1(r(e)?.latency?.p99)))],
    ['  max ms', ...cols.map((e) => ge(r(e)?.latency, f1(r(e)?.latency?.max)))],
    ['  publish request p99 ms (until 202)', ...cols.map((e) => (r(e)?.latency?.publish?.unanswered ? '>=' : '') + f1(r(e)?.latency?.publish?.requestMs?.p99))],
    [`fan-out ${SIZES.fanoutEvents} events x ${SIZES.fanoutHooks} webhooks, deliveries/s`, ...cols.map((e) => le(r(e)?.fanout, f0(r(e)?.fanout?.deliveries_per_s)))],
    ['  ratio to limit', ...cols.map((e) => le(r(e)?.fanout, f2(r(e)?.fanout?.deliveries_per_s / limit.per_s)))],
    ['  CPU per delivery, us: service + database + receiver', ...cols.map((e) => cpuCell(r(e)?.fanout?.cpu_us_per_delivery, ['service', 'database', 'receiver']))],
    ['    service by thread, us: main + busiest other + rest', ...cols.map((e) => cpuCell(r(e)?.fanout?.service_cpu_by_thread, ['main', 'busiest_other', 'rest']))],
    ['  machine busy, % of all cores', ...cols.map((e) => f0(r(e)?.fanout?.machine_busy_pct))],
    ['peak RSS of the service, MB (VmHWM, max of phases)', ...cols.map((e) => f1(r(e)?.rss_mb))],
    ['duplicates received (all phases)', ...cols.map((e) => f0(['throughput', 'latency', 'fanout'].reduce((n, p) => n + (r(e)?.[p]?.receiver?.duplicates ?? 0), 0)))],
    ['signatures (first delivery of each phase)', ...cols.map((e) => [...new Set(['throughput', 'latency', 'fanout'].map((p) => r(e)?.[p]?.receiver?.signature ?? '-'))].join('/'))],
  ];
  const head = ['', ...cols];
  const w = head.map((_, i) => Math.max(...[head, ...rows].map((row) => String(row[i]).length)));
  const line = (row) => '| ' + row.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join(' | ') + ' |';
  return [line(head), '|' + w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : '-'.repeat(n + 1) + ':')).join('|') + '|', ...rows.map(line)].join('\n');
}

function finalJson(limit, results) {
  const round = (v, d = 1) => (bad(v) ? null : Math.round(v * 10 ** d) / 10 ** d);
  const engineJson = (r) =>
    r
      ? {
          deliveries_per_s: round(r.throughput?.deliveries_per_s, 0),
          ratio: round(r.throughput?.deliveries_per_s / limit.per_s, 3),
          p50_ms: round(r.latency?.p50, 2),
          p99_ms: round(r.latency?.p99, 2),
          fanout_per_s: round(r.fanout?.deliveries_per_s, 0),
          rss_mb: round(r.rss_mb, 1),
        }
      : null;
  return { limit_per_s: round(limit.per_s, 0), sqlite: engineJson(results.sqlite), postgres: engineJson(results.postgres) };
}

// ---- main -----------------------------------------------------------------------------------------
async function main() {
  log('building dist/ (npm run build), as npm start does');
  buildDist();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-bench-'));
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  if (PROFILE) fs.mkdirSync(PROF_DIR, { recursive: true });
  const info = {
    date: new Date().toISOString(),
    mode: MODE,
    commit: commit(),
    machine: machine(),
    loadavg_at_start: os.loadavg().map((v) => Math.round(v * 100) / 100),
    sizes: { ...SIZES, batch: BATCH, publish_concurrency: PUBLISH_CONCURRENCY, worker_concurrency: LIMIT_IN_FLIGHT },
    budgets_ms: BUDGET_MS,
    // HOOKRELAY_* variables of the bench's environment reach the service (all but those the bench sets).
    service_node_args: EXTRA_NODE_ARGS,
    service_env_overrides: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('HOOKRELAY_') && !BENCH_SET.includes(k))),
  };
  log(`mode ${MODE}, commit ${info.commit.short}${info.commit.dirty ? ' (uncommitted changes in src)' : ''}, ${info.machine.cpus} cpus, ${info.machine.total_memory_mb} MB, load average ${info.loadavg_at_start.join(' ')}`);
  if (info.loadavg_at_start[0] > 0.5 * info.machine.cpus) log(`warning: the machine is busy (1-min load ${info.loadavg_at_start[0]} on ${info.machine.cpus} cpus); figures will be low and noisy`);

  const receiver = await startReceiver();
  const limits = [await runLimit(receiver, 'before')];
  const results = {};
  for (const engine of engines) results[engine] = await runEngine(engine, receiver, tmp);
  limits.push(await runLimit(receiver, 'after'));
  receiver.stop();
  const limit = { per_s: Math.max(...limits.map((l) => l.per_s)), runs: limits };
  info.loadavg_at_end = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const elapsed = (now() - T0) / 1000;

  let profile = null;
  if (PROFILE) {
    const files = fs
      .readdirSync(PROF_DIR)
      .filter((d) => d.startsWith(`${RUN_ID}-`))
      .flatMap((d) => fs.readdirSync(path.join(PROF_DIR, d)).filter((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f)).map((f) => path.join(d, f)));
    if (files.length) {
      const profs = files.map((f) => JSON.parse(fs.readFileSync(path.join(PROF_DIR, f), 'utf8')));
      profile = { dir: PROF_DIR, files, summary: summarizeProfiles(profs) };
    } else {
      log(`no .cpuprofile written to ${PROF_DIR}`);
    }
  }

  const tbl = table(limit, results);
  const json = finalJson(limit, results);
  const partial = engines.flatMap((e) => ['throughput', 'latency', 'fanout'].filter((p) => results[e]?.[p]?.partial).map((p) => `${e} ${p}`));
  const header = `HookRelay benchmark, ${MODE} run (${elapsed.toFixed(0)} s), ${info.date.slice(0, 10)}, commit ${info.commit.short}${info.commit.dirty ? ' + uncommitted changes' : ''}; ${info.machine.cpus} cpus (${info.machine.cpu_model}), ${info.machine.total_memory_mb} MB, ${info.machine.os}, node ${info.machine.node}; load average ${info.loadavg_at_start[0]} at start, ${info.loadavg_at_end[0]} at end`;
  const notes = [];
  const failed = engines.flatMap((e) => ['throughput', 'latency', 'fanout'].filter((p) => results[e]?.[p]?.error).map((p) => `${e} ${p}: ${results[e][p].error.replace(/\s*\n\s*/g, ' ').slice(0, 300)}`));
  if (failed.length) notes.push(`FAILED phases (no figure): ${failed.join('; ')}.`);
  const overrides = Object.entries(info.service_env_overrides);
  if (PG_SETTINGS.length) notes.push(`PostgreSQL started with extra settings (BENCH_PG_SETTINGS): ${PG_SETTINGS.join(' ')}.`);
  if (EXTRA_NODE_ARGS.length) notes.push(`Service started with extra node flags (BENCH_NODE_ARGS): ${EXTRA_NODE_ARGS.join(' ')}.`);
  if (overrides.length) notes.push(`Service configuration overridden from the environment: ${overrides.map(([k, v]) => `${k}=${v}`).join(', ')}.`);
  if (partial.length) notes.push(`Partial (cut at the time budget; rates are what arrived, latencies count missing deliveries at a lower bound): ${partial.join(', ')}.`);
  if (pgSettings) {
    const durable = pgSettings.fsync === 'on' && pgSettings.synchronous_commit === 'on';
    notes.push(`PostgreSQL: a throwaway cluster (scripts/pg-cluster.mjs) with ${['fsync', 'synchronous_commit', 'full_page_writes'].map((k) => `${k}=${pgSettings[k]}`).join(', ')}: ${durable ? 'every commit is on disk before it is acknowledged, as SQLite\'s (the WAL is fsynced before every answer)' : 'its commits are NOT durable, unlike SQLite\'s'}.`);
  }

  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  const stem = path.join(here, 'results', `${info.date.slice(0, 10)}-${info.commit.short}${info.commit.dirty ? '-dirty' : ''}${MODE === 'full' ? '' : `-${MODE}`}${failed.length ? '-failed' : ''}`);
  const saved = {
    ...info, elapsed_s: elapsed, summary: json, partial, notes, limit, results, postgres_settings: pgSettings,
    profile: profile && { dir: profile.dir, files: profile.files, ...profile.summary, top: profile.summary.top.slice(0, 60), byPackage: profile.summary.byPackage.slice(0, 30) },
  };
  fs.writeFileSync(`${stem}.json`, JSON.stringify(saved, null, 2) + '\n');
  const md = [`# HookRelay benchmark, ${MODE} run`, '', header, '', tbl, '', ...notes.map((n) => `- ${n}`), '', '```json', JSON.stringify(json), '```', ''];
  if (profile) md.push('## CPU profile of the service (self time, all phases)', '', '```', formatSummary(profile.summary, 30), '```', '');
  fs.writeFileSync(`${stem}.md`, md.join('\n'));
  log(`saved ${path.relative(repo, stem)}.json and .md`);

  if (profile) process.stdout.write(`\nCPU profile of the service, all phases (${profile.files.map((f) => path.join(profile.dir, f)).join(', ')}):\n${formatSummary(profile.summary, 25)}\n`);
  process.stdout.write(`\n${header}\n\n${tbl}\n\n${notes.map((n) => `- ${n}\n`).join('')}\n`);
  process.stdout.write(JSON.stringify(json) + '\n');
  return failed.length ? 1 : 0;
}

main()
  .then(async (code) => {
    clearTimeout(runTimer);
    killChildren();
    await runCleanups();
    process.exit(code);
  })
  .catch((err) => abort(1, err?.stack ?? String(err)));
