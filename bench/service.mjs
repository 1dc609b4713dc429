// How the benchmark's scripts build, start and stop the service and talk to it: the same build,
// environment, node flags and API calls for `npm run bench` (run.mjs), `npm run bench:split`
// (split.mjs), `npm run bench:lowrate` (lowrate.mjs) and `npm run bench:history` (history.mjs).
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_TYPE, SIG_HEADER, SIG_SECRET, eventData, sleep } from './common.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds dist/ (scripts/build.mjs), as `npm start` does before it starts the service. */
export function buildDist() {
  execFileSync(process.execPath, [path.join(repo, 'scripts/build.mjs')], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * `hookrelay <args>` from dist/, started as `npm start` starts it: the same node flags
 * (serviceNodeArgs, then `extraNodeArgs`) and the environment given (serviceEnv).
 */
export function spawnService(args, env, stdio, extraNodeArgs = []) {
  return spawn(process.execPath, [...serviceNodeArgs(), ...extraNodeArgs, path.join(repo, 'bin/hookrelay.mjs'), ...args], { cwd: repo, env, stdio });
}

/** SIGTERM, then waits for the exit (nothing to do if it already exited). */
export async function stopService(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** A port free on loopback right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A password the service's admin rules accept. */
export const newPassword = () => crypto.randomBytes(12).toString('base64url') + 'aA1!';

/** The service's settings the benchmark sets (all other HOOKRELAY_* come from the environment). */
export function serviceSettings({ port, dataDir, databaseUrl, password }) {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    HOOKRELAY_DATA_DIR: dataDir,
    HOOKRELAY_DATABASE_URL: databaseUrl,
    HOOKRELAY_ADMIN_USERNAME: 'bench',
    HOOKRELAY_ADMIN_PASSWORD: password,
    HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32',
    HOOKRELAY_LOG_LEVEL: 'warn',
    HOOKRELAY_SECRET_KEY: crypto.randomBytes(32).toString('hex'),
    HOOKRELAY_SHUTDOWN_GRACE_MS: '1000',
    HOOKRELAY_PUBLIC_URL: `http://127.0.0.1:${port}`,
  };
}

/** Names of the HOOKRELAY_* variables serviceSettings sets. */
export const BENCH_SET = Object.keys(serviceSettings({})).filter((k) => k.startsWith('HOOKRELAY_'));

/**
 * `npm start`'s command (package.json's scripts.start) with its ${NAME:-default} expanded from
 * the environment as the shell does: the glibc malloc settings before `node`, the node flags
 * after it. The bench reads them from there instead of keeping copies that could drift apart.
 * Why each (the figures that decided them):
 * - MALLOC_ARENA_MAX=2 and MALLOC_MMAP_THRESHOLD_=131072: fewer per-thread arenas, large buffers
 *   returned to the system when freed (README, "Quick start");
 * - the V8 heap limit, HOOKRELAY_MAX_HEAP_MB (256 MB by default);
 * - semi-space 8 MB instead of V8's 16: peak RSS 193 MB instead of 212 MB over fan-out and
 *   throughput, deliveries/s within the run-to-run noise; 4 MB gave 187 MB but ~15% fewer/s
 *   (16 MB again on 2026-12-07, with the two flags below: 198-201 MB, CPU within the noise);
 * - old generation grown by 75% after a full GC (--heap-growing-percent=75). Under a 256 MB heap
 *   limit V8 lets it grow by at most 30%, and the main isolate ran a full GC every ~0.2 s
 *   (~22 MB live, ~10 MB promoted between two). Measured (2026-12-07, SQLite, throughput and
 *   fan-out phases, three alternated pairs): service CPU per delivery 100/100/99 against
 *   106/109/108 us (fan-out 64/62/65 against 70/69/71), V8's helper threads 17-18 against 20-23;
 *   peak RSS 186-194 against 183-185 MB. 100% saved no more (96-102 us) for up to 198 MB
 *   (177-180 MB with --liftoff-only, below, CPU the same again);
 * - WebAssembly left in V8's baseline compiler (--liftoff-only): undici parses HTTP responses
 *   with llhttp compiled to wasm, and V8's optimizing tier-up of its parser function took ~37 MB
 *   of compiler zones from malloc at once (heaptrack, 2026-12-07, throughput phase, peak
 *   consumers), freed to a fragmented heap that kept it: half the runs peaked at ~186-193 MB
 *   with glibc's main heap at 45 MB, the others at ~165-172 with 21 MB. Three alternated
 *   triples (SQLite, throughput and fan-out): peak RSS 170/171/171 against 187/193/181 MB,
 *   CPU per delivery 104/105/110 against 110/106/105 us (fan-out 67/68/68 against 70/68/70):
 *   a response's few hundred bytes parse as fast either way. (--no-wasm-tier-up left the
 *   peaks: 190/192/176 MB.)
 */
let started = null;
function startCommand() {
  if (started) return started;
  const start = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')).scripts.start;
  const words = start.replace(/\$\{(\w+):-([^}]*)\}/g, (_, name, fallback) => process.env[name] || fallback).split(/\s+/);
  const node = words.indexOf('node');
  const script = words.indexOf('bin/hookrelay.mjs');
  if (node < 0 || script < node) throw new Error(`package.json's start script is not "... node <flags> bin/hookrelay.mjs ...": ${start}`);
  // Read once per bench process: its environment does not change while it runs.
  started = { env: Object.fromEntries(words.slice(0, node).map((w) => w.split('='))), nodeArgs: words.slice(node + 1, script) };
  return started;
}

/** The service's environment: `npm start`'s malloc settings, then the benchmark's settings. */
export function serviceEnv(settings) {
  return { ...process.env, ...startCommand().env, ...settings };
}

const serviceNodeArgs = () => [...startCommand().nodeArgs, ...EXTRA_NODE_ARGS];

/**
 * Extra node flags for the service (BENCH_NODE_ARGS="--single-threaded-gc ..."), for trying V8
 * settings or profiling; a run with them says so in its notes.
 */
export const EXTRA_NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** POST to the service's API; its JSON answer, or an error naming the status. */
export async function api(base, token, p, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(base + p, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await r.text();
  if (!r.ok) throw new Error(`POST ${p} answered ${r.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/**
 * Publishes the events numbered [from, to) (eventData's seq, t0 the time of their batch) through
 * POST /api/v1/events/batch, 100 a request and four requests in flight, as the throughput phase
 * of `npm run bench` publishes.
 */
export async function publishBatches(base, token, from, to) {
  const BATCH = 100;
  let next = from;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < to) {
      const first = next;
      next = Math.min(to, first + BATCH);
      const events = [];
      for (let seq = first; seq < next; seq++) events.push({ type: EVENT_TYPE, data: eventData(seq, Date.now()) });
      await api(base, token, '/api/v1/events/batch', { events });
    }
  }));
}

/**
 * What a script needs to start one service: a fresh data directory (`hookrelay-<prefix>-*` in the
 * temp dir, SQLite's file there unless `databaseUrl` is given), a free port, the admin's password,
 * the service's environment (serviceEnv) and its base URL. The caller removes dataDir.
 */
export async function freshService(prefix, databaseUrl = null) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `hookrelay-${prefix}-`));
  const port = await freePort();
  const password = newPassword();
  const env = serviceEnv(serviceSettings({ port, dataDir, databaseUrl: databaseUrl ?? path.join(dataDir, 'hookrelay.db'), password }));
  return { dataDir, password, env, base: `http://127.0.0.1:${port}` };
}

/** A receiver on loopback that answers 204 to every request and counts them (count()). */
export async function countingReceiver() {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, count: () => n, close: () => server.close() };
}

/**
 * Extra PostgreSQL server settings for the throwaway cluster (BENCH_PG_SETTINGS="name=value ...",
 * e.g. auto_explain), for studying a run of run.mjs or split.mjs.
 */
export const PG_SETTINGS = (process.env.BENCH_PG_SETTINGS ?? '').split(' ').filter(Boolean);

/** Copies the cluster's server log (what settings such as auto_explain wrote) to `file`, which outlives the cluster. */
export function keepServerLog(cluster, file) {
  fs.copyFileSync(path.join(path.dirname(cluster.dataDir), 'postgres.log'), file);
}

/** Waits until the service answers GET /readyz with 200. */
export async function waitReady(base) {
  while (!(await fetch(`${base}/readyz`).then((r) => r.ok, () => false))) await sleep(50);
}

/** A bearer token of the benchmark's admin user (serviceSettings). */
export async function benchToken(base, password) {
  const { token } = await api(base, null, '/api/rest/2.0/auth/token/full', { username: 'bench', password, validity_time_in_sec: 86_400 });
  return token;
}

/** n webhooks `${prefix}-${i}` for the benchmark's event type, signed, to the receiver's /h/<i>. */
export async function createSignedHooks(base, token, receiverPort, prefix, n) {
  for (let i = 0; i < n; i++) {
    await api(base, token, '/api/rest/2.0/webhooks/create', {
      name: `${prefix}-${i}`,
      url: `http://127.0.0.1:${receiverPort}/h/${i}`,
      events: [EVENT_TYPE],
      signature_verification: { type: 'HMAC_SHA256', header: SIG_HEADER, algorithm: 'SHA256', secret: SIG_SECRET },
    });
  }
}
