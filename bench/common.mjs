// Shared pieces of the benchmark: the event payload, the signing the service does (so the limit
// run signs exactly as much), a wall clock with sub-millisecond resolution that is comparable
// across processes, percentile helpers, and the scripts' `--name=value` arguments.
import crypto from 'node:crypto';

/** Wall-clock milliseconds with sub-ms resolution; comparable between processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The value of a `--name=value` argument (it may itself hold '='), or `dflt` when absent. */
export const option = (name, dflt = undefined) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=') ?? dflt;

export const EVENT_TYPE = 'kpi.alert';
export const SIG_HEADER = 'X-Webhook-Signature';
// A Standard Webhooks secret: whsec_ + base64 of 32 bytes (fixed, this is a benchmark).
export const SIG_SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');

// ~1 KB of event data: { t0, seq, pad }. t0 and seq come first so the receiver finds them with
// indexOf instead of parsing the JSON.
const PAD = 'x'.repeat(960);
export function eventData(seq, t0) {
  return { t0, seq, metric: 'bench.latency', pad: PAD };
}

/** Same bytes as src/delivery/signing.ts hexSignature. */
export function hexSignature(secret, body) {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
}

/** Same bytes as src/delivery/signing.ts standardSignature. */
export function standardSignature(secret, id, timestampSec, body) {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  const mac = crypto.createHmac('sha256', key);
  mac.update(`${id}.${timestampSec}.`);
  mac.update(body);
  return 'v1,' + mac.digest('base64');
}

/** Percentiles of a numeric array (sorted in place). */
export function percentiles(values) {
  if (!values.length) return { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };
  values.sort((a, b) => a - b);
  const at = (q) => values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))];
  let sum = 0;
  for (const v of values) sum += v;
  return { count: values.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: values[values.length - 1], mean: sum / values.length };
}

/**
 * Runs fns in a forked-process context: each {task} message is answered {ok, result|error}; the
 * process exits on {cmd: 'exit'}. One process may run several tasks in a row (the latency phase
 * runs its warm-up and its measured window in the same, warm, load generator).
 */
export function serveTask(handlers) {
  process.on('message', async (msg) => {
    if (msg?.cmd === 'exit') process.exit(0);
    if (!msg || msg.cmd !== 'task') return;
    try {
      const fn = handlers[msg.task.kind];
      if (!fn) throw new Error(`unknown task ${msg.task.kind}`);
      const result = await fn(msg.task);
      process.send({ ok: true, result });
    } catch (err) {
      process.send({ ok: false, error: String(err?.stack ?? err) }, () => process.exit(1));
    }
  });
  // An orphaned task process (orchestrator gone) exits instead of lingering.
  process.on('disconnect', () => process.exit(1));
}
