// A real loopback webhook receiver for delivery tests: a node:http server on 127.0.0.1 port 0 that
// records every request (raw body bytes, headers, arrival time) and answers each one as the test
// programs it: a status code and headers, a delay, a hang past the sender's timeout, a reset
// connection, a slow (dripping) body or a large body. Also the small HookRelay client the delivery
// tests share (webhooks, publishing, bounded polling).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { call, startService, type Engine, type TestService } from './harness.ts';

export interface Received {
  /** 1-based arrival number at this receiver. */
  n: number;
  method: string;
  /** Path and query, as sent. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The client's port: equal ports mean one reused connection. */
  remotePort: number;
  /** Date.now() when the request body had fully arrived. */
  at: number;
  text(): string;
  json(): any;
}

export interface Behaviour {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer; the socket stays open until the client gives up or the receiver closes. */
  hang?: boolean;
  /** Reset the TCP connection (RST) instead of answering. */
  reset?: boolean;
  /** Send status and headers at once, then the body in `chunks` pieces `intervalMs` apart. */
  slowBody?: { chunks: number; intervalMs: number };
}

export type Program = Behaviour | ((req: Received) => Behaviour);

export interface Receiver {
  url: string;
  requests: Received[];
  /** Replaces how the next requests are answered. */
  program(p: Program): void;
  /** Resolves when at least `count` requests arrived (and optionally match), or fails at the deadline. */
  waitFor(count: number, opts?: { timeoutMs?: number; where?: (r: Received) => boolean }): Promise<Received[]>;
  close(): Promise<void>;
}

/** `host` is 127.0.0.1 unless given (e.g. '::1' for an IPv6 loopback receiver). */
export async function startReceiver(initial: Program = { status: 200 }, opts: { host?: string } = {}): Promise<Receiver> {
  const host = opts.host ?? '127.0.0.1';
  let program: Program = initial;
  const requests: Received[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks);
      const r: Received = {
        n: requests.length + 1, method: req.method ?? '', url: req.url ?? '/', path: url.pathname, query: url.searchParams,
        headers: req.headers, body, remotePort: req.socket.remotePort ?? 0, at: Date.now(), text: () => body.toString('utf8'), json: () => JSON.parse(body.toString('utf8')),
      };
      requests.push(r);
      const b = typeof program === 'function' ? program(r) : program;
      try {
        if (b.delayMs) await sleep(b.delayMs);
        if (b.hang) return;
        if (b.reset) return req.socket.resetAndDestroy();
        const payload = b.body === undefined ? Buffer.from('ok') : Buffer.from(b.body);
        res.writeHead(b.status ?? 200, { 'content-type': 'text/plain', ...b.headers });
        if (!b.slowBody) return res.end(payload);
        res.flushHeaders();
        const size = Math.ceil(payload.length / b.slowBody.chunks);
        for (let i = 0; i < payload.length && !res.destroyed; i += size) {
          res.write(payload.subarray(i, i + size));
          await sleep(b.slowBody.intervalMs);
        }
        res.end();
      } catch {
        // The client went away mid-answer: that is what some tests provoke.
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/hook`,
    requests,
    program(p) {
      program = p;
    },
    async waitFor(count, opts = {}) {
      const match = () => requests.filter(opts.where ?? (() => true));
      await eventually(() => match().length >= count, { timeoutMs: opts.timeoutMs ?? 8000, what: `${count} request(s) at ${port}` });
      return match();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it is truthy; fails with `what` after a bounded deadline. */
export async function eventually<T>(check: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 8000);
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 8000} ms waiting for ${opts.what ?? 'condition'}`);
    await sleep(opts.intervalMs ?? 40);
  }
}

// ---- the HookRelay calls delivery tests make -------------------------------------------------

/** The before() of a delivery suite: a service on a fresh database and the client signed in to it. */
export async function startWithApi(engine: Engine, env: Record<string, string>): Promise<{ svc: TestService; api: Api }> {
  const svc = await startService({ engine, env });
  return { svc, api: new Api(svc.baseUrl, svc.adminToken) };
}

/** Its after(): stops the service and the receivers its tests started (either may be missing). */
export async function stopWithApi(svc: TestService | undefined, api: Api | undefined): Promise<void> {
  await svc?.close();
  await api?.closeReceivers();
}

export const DONE = ['SUCCESS', 'FAILED'];

export class Api {
  /** Receivers started through endpoint(); close them with closeReceivers() in after(). */
  readonly receivers: Receiver[] = [];

  constructor(readonly baseUrl: string, readonly token: string) {}

  /**
   * A receiver and a webhook to it, deleted when the test ends so that an event type goes to
   * this test's webhooks alone. `webhook` overrides fields of the create request (events etc.).
   */
  async endpoint(t: TestContext, program: Program = { status: 200 }, webhook: Record<string, unknown> = {}) {
    const rx = await startReceiver(program);
    this.receivers.push(rx);
    const hook = await this.webhook(rx.url, webhook);
    t.after(() => this.req('POST', '/api/rest/2.0/webhooks/delete', { webhook_identifiers: [hook.id] }));
    return { rx, hook };
  }

  async closeReceivers() {
    await Promise.all(this.receivers.map((r) => r.close()));
  }

  req(method: string, path: string, body?: unknown) {
    return call(this.baseUrl, method, path, { token: this.token, body });
  }

  async ok(method: string, path: string, body?: unknown, status = 200) {
    const res = await this.req(method, path, body);
    assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
    return res.body;
  }

  /** Creates a webhook; `events` defaults to kpi.alert. Names are made unique per call. */
  async webhook(url: string, extra: Record<string, unknown> = {}): Promise<any> {
    const name = `hook-${Math.random().toString(36).slice(2, 10)}`;
    return this.ok('POST', '/api/rest/2.0/webhooks/create', { name, url, events: ['kpi.alert'], ...extra });
  }

  async publish(type: string, data: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<string> {
    const body = await this.ok('POST', '/api/v1/events', { type, data, ...extra }, 202);
    assert.match(body.id, /^n\./);
    return body.id;
  }

  async jobs(eventId: string): Promise<any[]> {
    return (await this.ok('GET', `/api/v1/events/${eventId}/jobs`)).jobs;
  }

  /** Waits until the event has `count` jobs and all of them are SUCCESS or FAILED. */
  async settled(eventId: string, count = 1, timeoutMs = 10_000): Promise<any[]> {
    return eventually(async () => {
      const jobs = await this.jobs(eventId);
      return jobs.length >= count && jobs.every((j) => DONE.includes(j.status)) ? jobs : null;
    }, { timeoutMs, what: `${count} settled job(s) of ${eventId}` }) as Promise<any[]>;
  }

  /** Attempts of a webhook, newest first (the API's order). */
  async attempts(webhookId: string, query = ''): Promise<any[]> {
    return (await this.ok('GET', `/api/v1/webhooks/${webhookId}/attempts?limit=1000${query}`)).attempts;
  }
}
