#!/usr/bin/env node
// `npm run bench:split [-- --events=N] [-- --engine=sqlite|postgres] [-- --accept-only]`
//
// Where a delivery's CPU goes, accepting apart from delivering. The throughput phase of
// `npm run bench` publishes and delivers at once on the same two cores, so its CPU per delivery
// is the sum of both; here they run one after the other on one database:
//   1. `hookrelay serve --no-worker`: N events of ~1 KB published in batches of 100 (4 in flight);
//      CPU per accepted event, per thread of the service.
//   2. `hookrelay worker` on the same database: delivers the N jobs to a receiver (node:http in
//      this process, answers 204); CPU per delivery, per thread, from the first receipt to the
//      last.
// PostgreSQL: a throwaway durable cluster (scripts/pg-cluster.mjs), its CPU counted as well.
// Prints one line per step; nothing is saved. Rates are shown but, as everywhere on this shared
// machine, CPU per event moves less than they do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { option, sleep } from './common.mjs';
import { clusterCpuUs, perThread, threadCpuUs } from './cpu.mjs';
import { PG_SETTINGS, benchToken, buildDist, countingReceiver, createSignedHooks, freshService, keepServerLog, publishBatches, spawnService, stopService, waitReady } from './service.mjs';

const N = Number(option('events', 50_000));
const ENGINE = option('engine', 'sqlite');
// Step 1 alone: bench/storage-floor.mjs runs it on a copy whose publishes store nothing.
const ACCEPT_ONLY = process.argv.includes('--accept-only');
const PG_LOG_COPY = path.join(os.tmpdir(), 'hookrelay-split-postgres.log');
if (!Number.isInteger(N) || N < 100 || !['sqlite', 'postgres'].includes(ENGINE)) {
  console.error('usage: node bench/split.mjs [--events=N (>= 100)] [--engine=sqlite|postgres] [--accept-only]');
  process.exit(2);
}

/** Per-event CPU by thread between two snapshots (cpu.mjs), as one line of text. */
function perEvent(pid, before, after, n = N) {
  const c = perThread(pid, before, after, n);
  return { total: c.total, text: `main ${c.main.toFixed(1)} + busiest other thread ${c.busiest_other.toFixed(1)} + rest ${c.rest.toFixed(1)}` };
}

const receiver = await countingReceiver();

let cluster = null;
if (ENGINE === 'postgres') {
  const { startPgCluster } = await import('../scripts/pg-cluster.mjs');
  // With BENCH_PG_SETTINGS (service.mjs) the server's log is kept at PG_LOG_COPY.
  cluster = await startPgCluster({ durable: true, settings: PG_SETTINGS });
}
const { dataDir, password, env, base } = await freshService('split', cluster?.url);
// As `npm start` and `npm run bench` start it (dist/ is built first, below).
const start = (args) => spawnService(args, env, ['ignore', 'inherit', 'inherit']);

buildDist();
let svc = start(['serve', '--no-worker']);
try {
  await waitReady(base);
  const token = await benchToken(base, password);
  await createSignedHooks(base, token, receiver.port, 'split', 1);

  const db0 = cluster ? clusterCpuUs(cluster.dataDir) : 0;
  const p0 = threadCpuUs(svc.pid);
  const t0 = performance.now();
  await publishBatches(base, token, 0, N);
  const pub = perEvent(svc.pid, p0, threadCpuUs(svc.pid));
  const pubDb = cluster ? (clusterCpuUs(cluster.dataDir) - db0) / N : null;
  const pubS = N / ((performance.now() - t0) / 1000);
  await stopService(svc);

  const dbText = (v) => (v === null ? '' : `; PostgreSQL ${v.toFixed(1)}`);
  console.log(`${ENGINE}, ${N} events of ~1 KB, ${os.cpus().length} cpus`);
  console.log(`accept only (serve --no-worker): ${pub.total.toFixed(1)} us CPU per event (${pub.text})${dbText(pubDb)}; ${pubS.toFixed(0)} events/s`);
  if (!ACCEPT_ONLY) {
    // Counted from the first receipt, so the worker's start (modules, connections) is left out.
    svc = start(['worker']);
    while (receiver.count() === 0) await sleep(2);
    const r0 = receiver.count();
    const db1 = cluster ? clusterCpuUs(cluster.dataDir) : 0;
    const w0 = threadCpuUs(svc.pid);
    const t1 = performance.now();
    while (receiver.count() < N) await sleep(10);
    const del = perEvent(svc.pid, w0, threadCpuUs(svc.pid), N - r0);
    const delDb = cluster ? (clusterCpuUs(cluster.dataDir) - db1) / (N - r0) : null;
    const delS = (N - r0) / ((performance.now() - t1) / 1000);
    console.log(`deliver only (worker):           ${del.total.toFixed(1)} us CPU per delivery (${del.text})${dbText(delDb)}; ${delS.toFixed(0)} deliveries/s`);
  }
} finally {
  await stopService(svc).catch(() => {});
  receiver.close();
  if (cluster && PG_SETTINGS.length) {
    keepServerLog(cluster, PG_LOG_COPY);
    console.log(`PostgreSQL's log (BENCH_PG_SETTINGS="${PG_SETTINGS.join(' ')}") copied to ${PG_LOG_COPY}`);
  }
  await cluster?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
