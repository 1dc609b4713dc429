// The load generator: publishes through the service's HTTP API with a bearer token, as a user
// would. Forked by bench/run.mjs for one task at a time:
//   batches  - N events in batches of B via POST /api/v1/events/batch, at most C requests in flight
//   openloop - single-event POST /api/v1/events at a fixed rate for a fixed time, open loop:
//              sends on schedule whether or not earlier publishes have been answered
// Every event's data carries t0 (wall-clock ms when its publish request was issued) and seq.
import { Pool } from 'undici';
import { EVENT_TYPE, eventData, now, percentiles, serveTask, sleep } from './common.mjs';

const PUBLISH_TIMEOUT_MS = 60_000;
const MAX_TRIES = 3;

function pool(base, connections) {
  // headersTimeout/bodyTimeout count from the request being written; queueing time in the client
  // is bounded by each request's AbortSignal instead.
  return new Pool(base, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: PUBLISH_TIMEOUT_MS, bodyTimeout: PUBLISH_TIMEOUT_MS });
}

async function post(p, token, path, body, timeoutMs = PUBLISH_TIMEOUT_MS) {
  const res = await p.request({
    path,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

async function batches({ base, token, events, batchSize, concurrency, deadlineMs }) {
  const p = pool(base, concurrency);
  const cpu = process.cpuUsage();
  const nBatches = Math.ceil(events / batchSize);
  const deadline = now() + deadlineMs;
  let next = 0;
  let firstAt = null;
  let lastAckAt = null;
  let retries = 0;
  const reqMs = [];
  async function lane() {
    while (next < nBatches) {
      if (now() > deadline) throw new Error(`publishing did not finish within ${deadlineMs} ms`);
      const b = next++;
      const from = b * batchSize;
      const to = Math.min(events, from + batchSize);
      for (let attempt = 1; ; attempt++) {
        const t0 = now();
        if (firstAt === null) firstAt = t0;
        const list = [];
        for (let seq = from; seq < to; seq++) list.push({ type: EVENT_TYPE, data: eventData(seq, t0) });
        let r;
        try {
          r = await post(p, token, '/api/v1/events/batch', JSON.stringify({ events: list }));
        } catch (err) {
          r = { status: 0, text: String(err?.message ?? err) };
        }
        if (r.status === 202) {
          lastAckAt = now();
          reqMs.push(lastAckAt - t0);
          break;
        }
        if (attempt >= MAX_TRIES) throw new Error(`batch ${b} failed ${attempt} times; last answer ${r.status}: ${r.text.slice(0, 300)}`);
        retries++;
        await sleep(200 * attempt);
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    await p.close().catch(() => {});
  }
  const used = process.cpuUsage(cpu);
  return { firstAt, lastAckAt, retries, publishPerS: events / ((lastAckAt - firstAt) / 1000), requestMs: percentiles(reqMs), cpuUsPerEvent: (used.user + used.system) / events };
}

async function openloop({ base, token, rate, durationMs, maxInflight, drainMs = PUBLISH_TIMEOUT_MS }) {
  const total = Math.round((rate * durationMs) / 1000);
  const p = pool(base, 64);
  const interval = 1000 / rate;
  const lags = new Float64Array(total);
  const reqMs = [];
  const failures = [];
  const pending = new Set();
  let inflight = 0;
  let peakInflight = 0;
  let capped = 0;
  let sent = 0;
  let lastAt = null;
  let abandoned = false;
  let onIdle = null;
  const start = now() + 20;
  const hardStop = start + durationMs + 10_000;
  const fire = (seq, intended) => {
    const t0 = now();
    lags[seq] = t0 - intended;
    inflight++;
    if (inflight > peakInflight) peakInflight = inflight;
    const body = JSON.stringify({ type: EVENT_TYPE, data: eventData(seq, t0) });
    // Queued in the client behind a slow service, a publish may wait the whole window plus the drain.
    const pr = post(p, token, '/api/v1/events', body, durationMs + drainMs + PUBLISH_TIMEOUT_MS)
      .then((r) => {
        if (r.status !== 202) failures.push(`${r.status}: ${r.text.slice(0, 200)}`);
        else reqMs.push(now() - t0);
      }, (err) => abandoned || failures.push(String(err?.message ?? err)))
      .finally(() => {
        inflight--;
        pending.delete(pr);
        if (!pending.size && sent >= total) onIdle?.();
      });
    pending.add(pr);
  };
  while (sent < total && now() < hardStop) {
    const due = Math.min(total, Math.floor((now() - start) / interval) + 1);
    while (sent < due) {
      if (inflight >= maxInflight) {
        capped++;
        break;
      }
      fire(sent, start + sent * interval);
      sent++;
      lastAt = now();
    }
    await sleep(1);
  }
  // Waits for the answers within drainMs; publishes still unanswered then are abandoned (the
  // receiver counts their events as missing, at a lower bound of their latency).
  // (One waiter for "all answered", not Promise.race over the pending set: racing thousands of
  // pending promises on every answer retains a reaction per promise per race, gigabytes at 30 s.)
  if (pending.size) {
    let timer;
    await Promise.race([new Promise((r) => (onIdle = r)), new Promise((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
  }
  const unanswered = pending.size;
  // Each unanswered publish has waited at least since the last send: counted at that lower bound.
  const floor = now() - lastAt;
  for (let i = 0; i < unanswered; i++) reqMs.push(floor);
  abandoned = unanswered > 0;
  if (unanswered) await p.destroy().catch(() => {});
  else await p.close().catch(() => {});
  if (failures.length) throw new Error(`${failures.length} publishes failed, first: ${failures[0]}`);
  return {
    unsent: total - sent,
    unanswered,
    answered: reqMs.length - unanswered, sent, firstAt: start, lastAt, capped, peakInflight, scheduleLagMs: percentiles(Array.from(lags)), requestMs: percentiles(reqMs) };
}

serveTask({ batches, openloop });
