// The webhook receiver of the benchmark: node:http on 127.0.0.1, answers 204 to every POST.
// Forked by bench/run.mjs and armed per phase over IPC with the number of deliveries to expect;
// it counts them (deduplicated by webhook path and event seq), stamps the receipt time, reads the
// publish time t0 out of the payload with indexOf (no JSON parse) and reports when all arrived.
// It verifies the two signatures of the first delivery of each phase only: nothing heavy per request.
import http from 'node:http';
import { hexSignature, now, percentiles, standardSignature } from './common.mjs';

let phase = null;
const TIMELINE_MS = 50;

function arm(msg) {
  phase = {
    name: msg.phase,
    total: msg.total,
    perHook: msg.perHook,
    secret: msg.secret ?? null,
    seen: new Uint8Array(msg.total),
    lat: new Float64Array(msg.total),
    unique: 0,
    requests: 0,
    duplicates: 0,
    unknown: 0,
    firstAt: null,
    lastAt: null,
    signature: msg.secret ? 'unchecked' : 'not signed',
    done: false,
    // Receipts per TIMELINE_MS from the first: the rate while the phase still publishes and after.
    timeline: [],
  };
}

/**
 * The phase so far. When deliveries are still missing (a phase cut at its time budget), each
 * missing one counts in the latency percentiles as missingFloorMs, a lower bound of its latency
 * given by the caller (cut time minus the last publish), so percentiles are never flattered.
 */
function stats(missingFloorMs = null) {
  if (!phase) return null;
  const lat = Array.from(phase.lat.subarray(0, phase.unique));
  const missing = phase.total - phase.unique;
  if (missing > 0 && missingFloorMs !== null) for (let i = 0; i < missing; i++) lat.push(missingFloorMs);
  return {
    phase: phase.name, total: phase.total, unique: phase.unique, missing, requests: phase.requests, duplicates: phase.duplicates,
    unknown: phase.unknown, firstAt: phase.firstAt, timeline: { ms: TIMELINE_MS, counts: phase.timeline }, lastAt: phase.lastAt, signature: phase.signature, latency: percentiles(lat),
  };
}

function numberAfter(body, key) {
  const i = body.indexOf(key);
  if (i < 0) return NaN;
  const start = i + key.length;
  let end = start;
  while (end < body.length && end - start < 32) {
    const c = body[end];
    if (c === 0x2c || c === 0x7d) break; // , }
    end++;
  }
  return Number(body.toString('latin1', start, end));
}

function verify(req, body) {
  const id = req.headers['webhook-id'];
  const ts = req.headers['webhook-timestamp'];
  const hex = req.headers['x-webhook-signature'];
  const std = req.headers['webhook-signature'];
  const okHex = hex === hexSignature(phase.secret, body);
  const okStd = std === standardSignature(phase.secret, String(id), Number(ts), body);
  phase.signature = okHex && okStd ? 'verified' : `MISMATCH (hex ${okHex}, standard ${okStd})`;
}

function onBody(req, body) {
  const t = now();
  const p = phase;
  if (!p || p.done) return;
  p.requests++;
  if (p.firstAt === null) p.firstAt = t;
  const hook = Number(req.url.slice(req.url.lastIndexOf('/') + 1));
  const seq = numberAfter(body, '"seq":');
  const t0 = numberAfter(body, '"t0":');
  const key = hook * p.perHook + seq;
  if (!Number.isInteger(key) || key < 0 || key >= p.total || !Number.isInteger(seq) || seq >= p.perHook) {
    p.unknown++;
    return;
  }
  if (p.seen[key]) {
    p.duplicates++;
    return;
  }
  if (p.signature === 'unchecked') verify(req, body);
  p.seen[key] = 1;
  p.lat[p.unique++] = t - t0;
  p.lastAt = t;
  const slot = Math.floor((t - p.firstAt) / TIMELINE_MS);
  while (p.timeline.length <= slot) p.timeline.push(0);
  p.timeline[slot]++;
  if (p.unique === p.total) {
    p.done = true;
    process.send({ cmd: 'done', stats: stats() });
  }
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    onBody(req, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    res.statusCode = 204;
    res.end();
  });
});
server.headersTimeout = 30_000;
server.requestTimeout = 60_000;

process.on('message', (msg) => {
  if (msg?.cmd === 'arm') {
    arm(msg);
    process.send({ cmd: 'armed', phase: msg.phase });
  } else if (msg?.cmd === 'stats') {
    process.send({ cmd: 'stats', stats: stats(msg.missingFloorMs ?? null) });
  } else if (msg?.cmd === 'exit') {
    server.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(1));

server.listen(0, '127.0.0.1', () => process.send({ cmd: 'listening', port: server.address().port }));
