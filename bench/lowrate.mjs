#!/usr/bin/env node
// `npm run bench:lowrate [-- --rate=1000] [--secs=10] [--hooks=1]`
//
// What one event costs when nothing batches: the service (SQLite, started as `npm start` starts
// it) takes single-event publishes at a fixed rate, open loop, and delivers each to a receiver in
// this process. Prints the service's CPU per event by thread (cpu.mjs) and the publish-to-receipt
// latency, after a 3 s warm-up at the same rate. Why: the latency phase of `npm run bench` runs at
// 1,000/s, where each event pays for its own HTTP request, transaction, fsync and wake-ups, and
// measured (2026-12-06) ~0.9-1.0 ms of service CPU per event against ~0.18 ms in the throughput
// phase; with the load generator and the receiver beside it on two cores, that CPU is what makes
// the p99 (the service's threads waited for a core ~20% of the time, /proc/<tid>/schedstat).
// Lighter and quicker than the full phase (one process for load and receiver, 10 s), for A/B of
// a change; alternate the runs, the machine's noise is large. Nothing is saved.
import fs from 'node:fs';
import http from 'node:http';
import { Pool } from 'undici';
import { EVENT_TYPE, eventData, now, option, percentiles, sleep } from './common.mjs';
import { perThread, threadCpuUs } from './cpu.mjs';
import { benchToken, buildDist, createSignedHooks, freshService, spawnService, stopService, waitReady } from './service.mjs';

const RATE = Number(option('rate', 1000));
const SECS = Number(option('secs', 10));
const HOOKS = Number(option('hooks', 1));
if (!(RATE > 0) || !(SECS > 0) || !Number.isInteger(HOOKS) || HOOKS < 1) {
  console.error('usage: node bench/lowrate.mjs [--rate=N (/s)] [--secs=N] [--hooks=N (>= 1)] [--no-build]');
  process.exit(2);
}
/** Receipt time minus the publish's t0, ms. */
const lat = [];
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const t = now();
    // The envelope carries the event's data (eventData: t0 first) under `data`.
    const t0 = JSON.parse(Buffer.concat(chunks)).data?.t0;
    if (typeof t0 === 'number') lat.push(t - t0);
    res.writeHead(204).end();
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const { dataDir, password, env, base } = await freshService('low');
// --no-build: dist/ as it is (an A/B between builds made by hand).
if (!process.argv.includes('--no-build')) buildDist();
const svc = spawnService(['serve'], env, ['ignore', 'inherit', 'inherit']);
try {
  await waitReady(base);
  const token = await benchToken(base, password);
  await createSignedHooks(base, token, receiver.address().port, 'low', HOOKS);
  const pool = new Pool(base, { connections: 64 });
  const reqMs = [];
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  /** Open loop: each publish goes out on schedule, answered or not. */
  const run = async (secs) => {
    const start = now();
    const total = Math.round(RATE * secs);
    const pending = new Set();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((now() - start) * RATE) / 1000) + 1);
      while (sent < due) {
        const t0 = now();
        const body = JSON.stringify({ type: EVENT_TYPE, data: eventData(sent++, t0) });
        const pr = pool
          .request({ path: '/api/v1/events', method: 'POST', headers, body })
          .then(async (r) => {
            await r.body.text();
            if (r.statusCode !== 202) throw new Error(`publish answered ${r.statusCode}`);
            reqMs.push(now() - t0);
          })
          .finally(() => pending.delete(pr));
        pending.add(pr);
      }
      await sleep(1);
    }
    await Promise.all(pending);
  };
  await run(3); // warm-up
  await sleep(500);
  lat.length = 0;
  reqMs.length = 0;
  const c0 = threadCpuUs(svc.pid);
  await run(SECS);
  await sleep(300);
  const c = perThread(svc.pid, c0, threadCpuUs(svc.pid), RATE * SECS);
  if (!lat.length) throw new Error('no delivery was received');
  const l = percentiles(lat), q = percentiles(reqMs);
  console.log(`rate ${RATE}/s ${SECS}s: service CPU/event ${c.total.toFixed(0)} us (main ${c.main.toFixed(0)} + busiest ${c.busiest_other.toFixed(0)} + rest ${c.rest.toFixed(0)}); latency p50 ${l.p50.toFixed(1)} p95 ${l.p95.toFixed(1)} p99 ${l.p99.toFixed(1)} max ${l.max.toFixed(1)} (n ${l.count}); publish p99 ${q.p99.toFixed(1)}`);
  await pool.close();
} finally {
  await stopService(svc);
  receiver.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
