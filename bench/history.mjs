#!/usr/bin/env node
// `npm run bench:history [-- --steps=10000,100000,300000] [--engine=sqlite|postgres]`
//
// How the delivery history's reads scale with the history (the service started as `npm start`
// starts it, on SQLite or on a throwaway durable PostgreSQL cluster): events of ~1 KB are published in batches of 100 to one signed webhook and
// delivered to a receiver in this process; at each step (events delivered in all), each read is
// timed three times, end to end through the HTTP API. Nothing prunes the history, so what these
// reads cost at a step is what they cost after that many deliveries. Nothing is saved.
// Measured (2026-12-07): the reads that counted or sorted the whole history grew linearly with
// it, until migrations 006/009 (the dead-letter queue's) and 007/010 (the job history, the
// webhook table's last deliveries; SQLite/PostgreSQL); a webhook's attempt pages still count all
// its attempts. Figures in the README (Benchmark, "The history's reads").
import fs from 'node:fs';
import { Pool } from 'undici';
import { now, option, sleep } from './common.mjs';
import { benchToken, buildDist, countingReceiver, createSignedHooks, freshService, publishBatches, spawnService, stopService, waitReady } from './service.mjs';

const STEPS = String(option('steps', '10000,100000,300000')).split(',').map(Number);
const ENGINE = option('engine', 'sqlite');
if (!STEPS.every((n, i) => Number.isInteger(n) && n > 0 && (i === 0 || n > STEPS[i - 1])) || !['sqlite', 'postgres'].includes(ENGINE)) {
  console.error('usage: node bench/history.mjs [--steps=N,N,... (increasing)] [--engine=sqlite|postgres]');
  process.exit(2);
}
const HOOK = 'history-0';
/** The reads, as the console and the ThoughtSpot client make them. */
const READS = [
  ['attempts, newest 20', 'GET', `/api/v1/webhooks/${HOOK}/attempts?limit=20`],
  ['attempts, 20 at offset 5,000', 'GET', `/api/v1/webhooks/${HOOK}/attempts?limit=20&offset=5000`],
  ['job history, all', 'POST', '/api/rest/2.0/jobs/history/communication-channels/search', { channel_type: 'WEBHOOK' }],
  ['job history, one webhook', 'POST', '/api/rest/2.0/jobs/history/communication-channels/search', { channel_type: 'WEBHOOK', channel_identifiers: [HOOK] }],
  ['dead-letter queue (empty)', 'GET', '/api/v1/dlq'],
  ['webhooks with their last delivery', 'GET', '/api/v1/webhooks'],
  // Of the first event delivered (found after the first step).
  ['job history, one job id', 'POST', '/api/rest/2.0/jobs/history/communication-channels/search', (first) => ({ channel_type: 'WEBHOOK', job_ids: [first.job_id] })],
  ["an event's jobs", 'GET', (first) => `/api/v1/events/${first.event_id}/jobs`],
];

async function analyze(url) {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}

const receiver = await countingReceiver();
const cluster = ENGINE === 'postgres' ? await (await import('../scripts/pg-cluster.mjs')).startPgCluster({ durable: true }) : null;
const { dataDir, password, env, base } = await freshService('history', cluster?.url);
buildDist();
const svc = spawnService(['serve'], env, ['ignore', 'ignore', 'inherit']);
try {
  await waitReady(base);
  const token = await benchToken(base, password);
  await createSignedHooks(base, token, receiver.port, 'history', 1);
  const pool = new Pool(base, { connections: 8 });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  /** ms to the whole answer of one read. */
  const timed = async (method, p, body) => {
    const t = now();
    const r = await pool.request({ method, path: p, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    await r.body.text();
    if (r.statusCode !== 200) throw new Error(`${method} ${p} answered ${r.statusCode}`);
    return now() - t;
  };
  let sent = 0;
  for (const step of STEPS) {
    await publishBatches(base, token, sent, step);
    sent = step;
    while (receiver.count() < step) await sleep(50);
    // The last attempt records are written within the completion batcher's delay.
    await sleep(500);
    // PostgreSQL plans by statistics that autovacuum gathers a minute or so after a table fills
    // (and the service's prepared statements keep plans made before): analyzed here, the reads
    // are timed as a running service would see them.
    if (cluster) await analyze(cluster.url);
    const lines = [];
    // The oldest attempt: the first event's (offset past the newest, the count capped beyond).
    const page = await pool.request({ method: 'GET', path: `/api/v1/webhooks/${HOOK}/attempts?limit=1&offset=${step - 1}`, headers });
    const first = (await page.body.json()).attempts[0];
    for (const [name, method, p, body] of READS) {
      const ms = [];
      const at = typeof p === 'function' ? p(first) : p;
      const payload = typeof body === 'function' ? body(first) : body;
      for (let i = 0; i < 3; i++) ms.push(await timed(method, at, payload));
      lines.push(`  ${name}: ${ms.map((x) => x.toFixed(0)).join(' / ')} ms`);
    }
    console.log(`${step} events delivered:\n${lines.join('\n')}`);
  }
  await pool.close();
} finally {
  await stopService(svc);
  await cluster?.stop();
  receiver.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
