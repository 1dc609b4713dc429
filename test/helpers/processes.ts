// Process-level test kit: real `hookrelay` child processes (serve, serve --no-worker, worker) on one
// fresh database, a loopback receiver that records every delivery by its webhook-id (the event id),
// and a direct read-only view of the jobs and attempts tables. Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createTestDatabase, type Engine, type TestDatabase } from './databases.ts';
import { jobsRelation as pgJobsRelation } from '../../src/store/postgres/log-store.ts';
import { jobsRelation } from '../../src/store/sqlite/log-store.ts';

/** Attempts in flight per webhook in every process the tests start: bounds duplicates after a kill. */
export const ENDPOINT_CONCURRENCY = 8;

export { engines, type Engine } from './databases.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/hookrelay.mjs');
const ADMIN = { username: 'admin', password: 'admin-password-1' };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`'s value, or null when it takes longer than `ms` (the timer never outlives the race). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown inside a waitFor check to stop waiting at once. */
export class Fatal extends Error {}

/** Polls `check` until it returns a truthy value or the deadline passes (then throws `what`). */
export async function waitFor<T>(what: string | (() => string), timeoutMs: number, check: () => T | Promise<T>, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      if (err instanceof Fatal) throw err;
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const msg = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${msg}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    }
    await sleep(everyMs);
  }
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

// ---- service processes --------------------------------------------------------------------------

// Belt and braces: never leave service processes behind when the test process dies.
const everyChild = new Set<ChildProcess>();
process.once('exit', () => everyChild.forEach((c) => c.kill('SIGKILL')));

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  /** http://127.0.0.1:PORT for processes that serve the API. */
  url: string | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  alive(): boolean;
  logs(): string;
}

export type Role = 'serve' | 'api' | 'worker';

export class Cluster {
  readonly key = crypto.randomBytes(32).toString('hex');
  readonly procs: Proc[] = [];
  private constructor(readonly engine: Engine, readonly db: TestDatabase, private readonly extraEnv: Record<string, string>) {}

  static async create(engine: Engine, env: Record<string, string> = {}): Promise<Cluster> {
    return new Cluster(engine, await createTestDatabase(engine), env);
  }

  /** Starts `serve` (API + worker), `serve --no-worker` (api) or `worker`; API roles wait for /readyz. */
  async start(role: Role, name: string = role, env: Record<string, string> = {}): Promise<Proc> {
    const port = role === 'worker' ? 0 : await freePort();
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('HOOKRELAY_') && !k.startsWith('NODE_TEST')) childEnv[k] = v;
    Object.assign(childEnv, {
      PORT: String(port),
      HOST: '127.0.0.1',
      HOOKRELAY_DATABASE_URL: this.db.url,
      HOOKRELAY_DATA_DIR: this.db.dir,
      HOOKRELAY_SECRET_KEY: this.key,
      HOOKRELAY_ADMIN_USERNAME: ADMIN.username,
      HOOKRELAY_ADMIN_PASSWORD: ADMIN.password,
      HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32',
      HOOKRELAY_LEASE_MS: '2000',
      HOOKRELAY_DELIVERY_TIMEOUT_MS: '1500',
      HOOKRELAY_RETRY_SCHEDULE: '0.2,0.2,0.2',
      HOOKRELAY_POLL_INTERVAL_MS: '50',
      HOOKRELAY_ENDPOINT_CONCURRENCY: String(ENDPOINT_CONCURRENCY),
      HOOKRELAY_PG_POOL_SIZE: '4',
      HOOKRELAY_LOG_LEVEL: 'warn',
      PGAPPNAME: `hookrelay-${name}`, // lets the tests see which processes hold connections
      ...this.extraEnv,
      ...env,
    });
    const args = role === 'serve' ? ['serve'] : role === 'api' ? ['serve', '--no-worker'] : ['worker'];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    everyChild.add(child);
    child.once('exit', () => everyChild.delete(child));
    const lines: string[] = [];
    const keep = (chunk: Buffer) => {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.once('exit', (code, signal) => ((done = true), resolve({ code, signal, at: Date.now() }))),
    );
    const proc: Proc = {
      name,
      pid: child.pid!,
      child,
      url: role === 'worker' ? null : `http://127.0.0.1:${port}`,
      exited,
      alive: () => !done,
      logs: () => `--- ${name} (pid ${child.pid}) last output ---\n${lines.join('\n')}`,
    };
    this.procs.push(proc);
    if (proc.url) {
      await waitFor(() => `${name} /readyz\n${proc.logs()}`, 30_000, async () => {
        if (!proc.alive()) throw new Fatal(`${name} exited during start-up\n${proc.logs()}`);
        const res = await fetch(`${proc.url}/readyz`).catch(() => null);
        return res?.status === 200;
      }, 100);
    }
    return proc;
  }

  /** kill -9; resolves once the process is gone. */
  async kill(proc: Proc): Promise<void> {
    if (proc.alive()) proc.child.kill('SIGKILL');
    await proc.exited;
  }

  /** Kills whatever is still running and drops the database: safe to call from after(), twice. */
  async destroy(): Promise<void> {
    await Promise.all(this.procs.map((p) => this.kill(p)));
    await this.db.drop().catch(() => undefined);
  }

  logs(): string {
    return this.procs.map((p) => p.logs()).join('\n');
  }
}

// ---- API client ---------------------------------------------------------------------------------

export class Api {
  private constructor(readonly url: string, readonly token: string) {}

  static async login(url: string): Promise<Api> {
    const res = await fetch(`${url}/api/rest/2.0/auth/token/full`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
    if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
    return new Api(url, ((await res.json()) as { token: string }).token);
  }

  async call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}${p}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async createWebhook(name: string, url: string): Promise<string> {
    const res = await this.call('POST', '/api/rest/2.0/webhooks/create', { name, url, events: ['kpi.alert'] });
    if (res.status !== 200) throw new Error(`webhooks/create: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  /** Publishes `count` kpi.alert events in batches; returns their ids in order. */
  async publish(count: number, from = 0, batchSize = 100): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += batchSize) {
      const events = Array.from({ length: Math.min(batchSize, count - i) }, (_, k) => ({ type: 'kpi.alert', data: { n: from + i + k } }));
      const res = await this.call('POST', '/api/v1/events/batch', { events });
      if (res.status !== 202) throw new Error(`events/batch: ${res.status} ${JSON.stringify(res.body)}`);
      ids.push(...res.body.ids);
    }
    return ids;
  }

  async eventJobs(eventId: string): Promise<any[]> {
    const res = await this.call('GET', `/api/v1/events/${encodeURIComponent(eventId)}/jobs`);
    if (res.status !== 200) throw new Error(`events/${eventId}/jobs: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.jobs;
  }
}

// ---- receiver -----------------------------------------------------------------------------------

export interface Arrival {
  id: string;
  at: number;
  /** Which process sent it, when it could be told from /proc (Linux). */
  from: string | undefined;
}

/** A loopback endpoint that answers 204 after `delayMs` and records each delivery's webhook-id. */
export class Receiver {
  readonly arrivals: Arrival[] = [];
  readonly counts = new Map<string, number>();
  /** Event ids whose request has arrived and not been answered yet. */
  readonly active = new Set<string>();
  /** Requests the sender dropped before they were answered. */
  aborted = 0;
  onArrival: ((a: Arrival) => void) | null = null;
  /** pid -> label, for attributing connections to service processes. */
  readonly senders = new Map<number, string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly peer = new WeakMap<net.Socket, Promise<string | undefined>>();
  private readonly lookups = new Set<Promise<unknown>>();
  private readonly senderOf = new WeakMap<Arrival, Promise<string | undefined>>();
  private constructor(private readonly server: http.Server, readonly url: string, public delayMs: number) {}

  static async start(delayMs = 0): Promise<Receiver> {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const rcv = new Receiver(server, `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`, delayMs);
    server.on('connection', (socket) => {
      if (rcv.senders.size) rcv.peer.set(socket, senderOf(socket.remotePort!, socket.localPort!, rcv.senders));
    });
    server.on('request', (req, res) => rcv.handle(req, res));
    return rcv;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const id = String(req.headers['webhook-id'] ?? '');
    const arrival: Arrival = { id, at: Date.now(), from: undefined };
    const lookup = this.peer.get(req.socket);
    if (lookup) {
      const p = lookup.then((from) => void (arrival.from = from)).finally(() => this.lookups.delete(p));
      this.lookups.add(p);
      this.senderOf.set(arrival, lookup);
    }
    this.arrivals.push(arrival);
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    this.active.add(id);
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    req.resume();
    req.on('end', () => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.active.delete(id);
        if (!res.destroyed) res.writeHead(204).end();
      }, this.delayMs);
      this.timers.add(timer);
      // The sender gave up (timeout, exit): nothing left to answer.
      res.on('close', () => {
        if (res.writableFinished) return;
        clearTimeout(timer);
        this.timers.delete(timer);
        this.active.delete(id);
        this.aborted++;
      });
    });
    this.onArrival?.(arrival);
  }

  /** Of `ids`: those never received, deliveries beyond the first per id, and all deliveries. */
  stats(ids: string[]): { missing: string[]; duplicates: number; total: number } {
    let duplicates = 0;
    let total = 0;
    const missing: string[] = [];
    for (const id of ids) {
      const n = this.counts.get(id) ?? 0;
      if (!n) missing.push(id);
      duplicates += Math.max(0, n - 1);
      total += n;
    }
    return { missing, duplicates, total };
  }

  /** Arrivals of each repeated id among `ids`: relative time (ms after `t0`) and sending process. */
  repeats(ids: string[], t0: number): string {
    const only = new Set(ids);
    return [...this.counts]
      .filter(([id, n]) => n > 1 && only.has(id))
      .map(([id, n]) => `${id}×${n}: ${this.arrivals.filter((a) => a.id === id).map((a) => `+${a.at - t0}ms from ${a.from ?? '?'}`).join(', ')}`)
      .join('\n');
  }

  /** Which process sent this delivery (when `senders` is set and /proc tells). */
  async whoSent(a: Arrival): Promise<string | undefined> {
    return (await this.senderOf.get(a)) ?? a.from;
  }

  /** Waits for the pending sender lookups, so every `from` is filled in (or stays unknown). */
  async settle(): Promise<void> {
    while (this.lookups.size) await Promise.allSettled([...this.lookups]);
  }

  /** Deliveries per sending process (optionally only those of `ids`). */
  bySender(ids?: string[]): Record<string, number> {
    const only = ids && new Set(ids);
    const out: Record<string, number> = {};
    for (const a of this.arrivals) if (!only || only.has(a.id)) out[a.from ?? '?'] = (out[a.from ?? '?'] ?? 0) + 1;
    return out;
  }

  async close(): Promise<void> {
    this.timers.forEach(clearTimeout);
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/**
 * Finds which of `pids` owns the TCP socket whose local port is `port` (Linux /proc). Reading
 * /proc/net/tcp costs ~10 ms: it is read asynchronously so that the receiver is never held up.
 */
async function senderOf(port: number, serverPort: number, pids: Map<number, string>): Promise<string | undefined> {
  const hex = (p: number) => `:${p.toString(16).toUpperCase().padStart(4, '0')}`;
  let inode: string | undefined;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.promises.readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(hex(port)) && cols[2]?.endsWith(hex(serverPort)) && cols[9] !== '0') inode = cols[9];
    }
  }
  if (!inode) return undefined;
  for (const [pid, label] of pids) {
    for (const fd of await fs.promises.readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
      if ((await fs.promises.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === `socket:[${inode}]`) return label;
    }
  }
  return undefined;
}

// ---- database probe -----------------------------------------------------------------------------

export interface JobState {
  id: string;
  event_id: string;
  status: string;
  try_count: number;
  lease_owner: string | null;
}

/** Reads the jobs and attempts tables directly, whether or not any service process is alive. */
export class Probe {
  private constructor(
    private readonly engine: Engine,
    private readonly query: (sql: string) => Promise<any[]>,
    readonly close: () => Promise<void>,
  ) {}

  static async open(cluster: Cluster): Promise<Probe> {
    if (cluster.engine === 'postgres') {
      const client = new pg.Client({ connectionString: cluster.db.url, application_name: 'test-probe' });
      await client.connect();
      return new Probe('postgres', async (sql) => (await client.query(sql)).rows, () => client.end());
    }
    const conn = new Database(cluster.db.url, { fileMustExist: true });
    conn.pragma('busy_timeout = 5000');
    return new Probe('sqlite', async (sql) => conn.prepare(sql).all(), async () => void conn.close());
  }

  async jobs(): Promise<JobState[]> {
    // The jobs rows, the attempts holding their job's state and the event log's pending jobs
    // (src/store/event-log.ts; with a jobs row per delivery only the first part has rows).
    const from = `(${this.engine === 'sqlite' ? jobsRelation() : pgJobsRelation()}) AS j`;
    const rows = await this.query(`SELECT id, event_id, status, try_count, lease_owner FROM ${from} WHERE kind = 'event'`);
    return rows.map((r) => ({ ...r, try_count: Number(r.try_count) }));
  }

  async statusCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const j of await this.jobs()) out[j.status] = (out[j.status] ?? 0) + 1;
    return out;
  }

  /** PostgreSQL: the reader of each lane of the event log, by lane. */
  async laneOwners(): Promise<(string | null)[]> {
    return (await this.query('SELECT owner FROM log_cursor ORDER BY lane')).map((r) => r.owner as string | null);
  }

  async attemptCount(): Promise<number> {
    return Number((await this.query('SELECT COUNT(*) AS n FROM attempts'))[0].n);
  }

  /** Attempt rows of these events (to explain a duplicate): event id, attempt no, start, duration, status. */
  async attemptsOf(eventIds: string[]): Promise<any[]> {
    if (!eventIds.length) return [];
    const list = eventIds.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ');
    return this.query(`SELECT event_id, attempt_no, started_at, duration_ms, status_code FROM attempts WHERE event_id IN (${list}) ORDER BY started_at`);
  }

  /** application_name of every PostgreSQL connection to this database (see PGAPPNAME above). */
  async connectedApps(): Promise<string[]> {
    const rows = await this.query('SELECT DISTINCT application_name AS a FROM pg_stat_activity WHERE datname = current_database()');
    return rows.map((r) => r.a as string);
  }

  /** Waits until `expected` event jobs exist and all are SUCCESS; FAILED fails fast. */
  async waitAllSuccess(expected: number, timeoutMs: number, context: () => string): Promise<void> {
    let last: Record<string, number> = {};
    await waitFor(() => `${expected} SUCCESS jobs, have ${JSON.stringify(last)}\n${context()}`, timeoutMs, async () => {
      last = await this.statusCounts();
      if (last.FAILED) throw new Fatal(`jobs FAILED: ${JSON.stringify(last)}`);
      return last.SUCCESS === expected;
    }, 100);
  }
}

/**
 * The setup the process tests share: a cluster on a fresh database, a receiver, a running
 * `hookrelay serve`, a probe on the database, a signed-in API client and one webhook to the
 * receiver. `restart` replaces the service process (after a kill or a stop).
 */
export class ServiceFixture {
  probe: Probe | undefined;
  private constructor(
    readonly cluster: Cluster,
    readonly receiver: Receiver,
    public svc: Proc,
    public api: Api,
  ) {}

  static async start(engine: Engine, opts: { receiverDelayMs: number; webhook: string; env?: Record<string, string> }): Promise<ServiceFixture> {
    const cluster = await Cluster.create(engine);
    const receiver = await Receiver.start(opts.receiverDelayMs);
    const svc = await cluster.start('serve', 'serve-1', opts.env);
    const f = new ServiceFixture(cluster, receiver, svc, await Api.login(svc.url!));
    f.probe = await Probe.open(cluster);
    await f.api.createWebhook(opts.webhook, receiver.url);
    return f;
  }

  async restart(name: string, env?: Record<string, string>): Promise<void> {
    this.svc = await this.cluster.start('serve', name, env);
    this.api = await Api.login(this.svc.url!);
  }

  async close(): Promise<void> {
    this.receiver.onArrival = null;
    await this.probe?.close().catch(() => undefined);
    await this.cluster.destroy();
    await this.receiver.close();
  }
}
