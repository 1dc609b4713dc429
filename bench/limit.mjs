// The limit: the same receiver driven directly, no service and no storage. An undici Agent set
// up like the service's (src/delivery/http-client.ts: 128 connections per origin, no pipelining,
// keep-alive) sends the same envelope with the same headers and the same two HMAC-SHA256
// signatures (src/delivery/sender.ts) at the worker's concurrency (64 in flight).
import crypto from 'node:crypto';
import { Agent, request } from 'undici';
import { EVENT_TYPE, SIG_HEADER, SIG_SECRET, eventData, hexSignature, now, serveTask, standardSignature } from './common.mjs';

const TIMEOUT_MS = 5000;

async function limit({ url, count, concurrency, deadlineMs }) {
  const agent = new Agent({ connect: { timeout: 5000 }, keepAliveTimeout: 30_000, connections: 128, pipelining: 1 });
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
        const res = await request(target, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS), dispatcher: agent });
        const chunks = [];
        for await (const c of res.body) chunks.push(c);
        Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 204) errors++;
      } catch {
        errors++;
      }
      lastAt = now();
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, lane));
  } finally {
    await agent.close().catch(() => {});
  }
  return { firstAt, lastAt, errors };
}

serveTask({ limit });
