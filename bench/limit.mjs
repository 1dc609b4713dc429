// The limit: the same receiver driven directly, no service and no storage. The service's own HTTP
// client (src/delivery/http-client.ts, compiled to dist/ at the start of the run: undici's
// dispatcher with its small handler, 128 connections per origin, no pipelining, keep-alive)
// sends the same envelope with the same headers and the same two HMAC-SHA256 signatures
// (src/delivery/sender.ts) at the worker's concurrency (64 in flight). With the service's client
// rather than a plain undici.request(), the ratios measure what the service adds (storage,
// queueing, its API), not a difference of HTTP clients.
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EVENT_TYPE, SIG_HEADER, SIG_SECRET, eventData, hexSignature, now, serveTask, standardSignature } from './common.mjs';

const TIMEOUT_MS = 5000;

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/delivery');
const { HttpClient } = await import(pathToFileURL(path.join(dist, 'http-client.js')).href);
const { parseAllowRule } = await import(pathToFileURL(path.join(dist, 'ssrf-guard.js')).href);

async function limit({ url, count, concurrency, deadlineMs }) {
  const http = new HttpClient(parseAllowRule('127.0.0.1/32'), 64 * 1024);
  const target = new URL(url);
  const deadline = now() + deadlineMs;
  let next = 0;
  let errors = 0;
  let firstAt = null;
  let lastAt = null;
  async function lane() {
    while (next < count) {
      if (now() > deadline) throw new Error(`limit run did not finish within ${deadlineMs} ms`);
      const seq = next++;
      const t0 = now();
      if (firstAt === null) firstAt = t0;
      const id = `n.${crypto.randomUUID()}`;
      const payload = JSON.stringify({ event: EVENT_TYPE, timestamp: new Date(t0).toISOString(), tenantId: '0', data: eventData(seq, t0) });
      const body = Buffer.from(payload);
      const ts = Math.floor(Date.now() / 1000);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'HookRelay/bench',
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        [SIG_HEADER]: hexSignature(SIG_SECRET, body),
        'webhook-signature': standardSignature(SIG_SECRET, id, ts, body),
      };
      try {
        const res = await http.post(target, headers, body, Date.now() + TIMEOUT_MS);
        if (res.statusCode !== 204) errors++;
      } catch {
        errors++;
      }
      lastAt = now();
    }
  }
  const cpu = process.cpuUsage();
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    await http.destroy().catch(() => {});
  }
  const used = process.cpuUsage(cpu);
  return { firstAt, lastAt, errors, cpuUs: used.user + used.system };
}

serveTask({ limit });
