// The one outbound HTTP client: an undici Agent whose sockets resolve names through the outbound
// guard, keep connections alive per origin, and never follow redirects.
//
// Requests go through undici's dispatcher interface with a small handler of our own instead of
// undici.request(): request() wraps every response in a Readable stream and an AsyncResource,
// and a per-request AbortSignal.timeout() adds a signal, a timer and listeners. Deadlines are
// kept by one timer per 10 ms slot (see Deadlines) instead of one per request. Bench (2026-11-22,
// SQLite, 100,000 deliveries, CPU profile of the event loop): busy time 18.0 s -> 13.4 s for the
// same work; 4,484-5,269 -> 5,722-7,003 deliveries/s in the runs of that hour.
import { Agent, type Dispatcher } from 'undici';
import { checkLiteralHost, guardedLookup, type AllowRule, BlockedAddressError } from './ssrf-guard.ts';

export interface HttpResult {
  statusCode: number;
  /** The Retry-After header, if the response has one. */
  retryAfter: string | null;
  /** At most maxBodyBytes of the body, as UTF-8 text. */
  body: string;
  truncated: boolean;
}

/** What the client derives once per URL object (the sender keeps one per webhook). */
interface Route {
  origin: string;
  path: string;
  /** Why the URL's literal host is refused, or null. */
  blocked: string | null;
}

/** The error of an attempt cut off by its deadline (describeError reports it as a timeout). */
export class DeadlineError extends Error {
  override readonly name = 'TimeoutError';
  constructor() {
    super('no complete response before the deadline');
  }
}

/** Width of a deadline slot: a request is cut off at most this much after its deadline. */
const SLOT_MS = 10;

/**
 * Deadlines of the requests in flight, grouped in slots of SLOT_MS: one timer per slot aborts the
 * exchanges of that slot still running. A request is never cut before its deadline.
 */
class Deadlines {
  private readonly slots = new Map<number, Set<Exchange>>();

  add(x: Exchange, deadlineAt: number): void {
    const slot = Math.ceil(deadlineAt / SLOT_MS);
    let set = this.slots.get(slot);
    if (!set) {
      set = new Set();
      this.slots.set(slot, set);
      const fire = () => {
        this.slots.delete(slot);
        for (const pending of set!) pending.expire();
      };
      // An idle process is not held open by deadlines of requests that already finished.
      setTimeout(fire, Math.max(0, slot * SLOT_MS - Date.now())).unref();
    }
    set.add(x);
    x.slot = set;
  }
}

/** One request/response: an undici dispatch handler (the dispatcher's own handler interface). */
class Exchange implements Dispatcher.DispatchHandler {
  slot: Set<Exchange> | null = null;
  private abortFn: ((err: Error) => void) | null = null;
  private statusCode = 0;
  private retryAfter: string | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;
  private expired = false;
  private settled = false;

  constructor(
    private readonly maxBodyBytes: number,
    private readonly resolve: (r: HttpResult) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  expire(): void {
    this.expired = true;
    // Not connected yet (queued behind the origin's busy connections): the attempt ends now all
    // the same, and onConnect aborts the request if it ever gets a connection. It waited for a
    // connection without end when the pool's were all held (fuzzing, 2026-12-07).
    if (this.abortFn) this.abortFn(new DeadlineError());
    else this.finish(new DeadlineError());
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.expired) abort(new DeadlineError());
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx responses are informational; the final response follows.
    if (statusCode < 200) return true;
    this.statusCode = statusCode;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      if (name.length === 11 && name.toString('latin1').toLowerCase() === 'retry-after') this.retryAfter = rawHeaders[i + 1].toString('latin1');
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.truncated) return true;
    if (this.size + chunk.length > this.maxBodyBytes) {
      this.chunks.push(chunk.subarray(0, this.maxBodyBytes - this.size));
      this.size = this.maxBodyBytes;
      this.truncated = true;
      // Stop reading a receiver that sends more than we keep; the connection is discarded.
      this.abortFn?.(new Error('response body over the kept size'));
      return true;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    this.finish(null);
  }

  onError(err: Error): void {
    // Cut short on purpose after the status and the kept part of the body arrived: a result.
    this.finish(this.truncated && !this.expired ? null : err);
  }

  private finish(err: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    this.slot?.delete(this);
    if (err) return this.reject(err);
    let body = this.chunks.length === 0 ? '' : this.chunks.length === 1 ? this.chunks[0].toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    // Kept as text in the attempt's record, which PostgreSQL cannot hold with a NUL in it: every
    // record of the batch failed, and its jobs were delivered again and again (fuzzing, 2026-12-07).
    if (body.includes('\0')) body = body.replaceAll('\0', '\uFFFD');
    this.chunks = [];
    this.resolve({ statusCode: this.statusCode, retryAfter: this.retryAfter, body, truncated: this.truncated });
  }
}

export class HttpClient {
  readonly agent: Agent;
  private readonly deadlines = new Deadlines();
  private readonly routes = new WeakMap<URL, Route>();

  constructor(
    private readonly allow: AllowRule,
    private readonly maxBodyBytes: number,
  ) {
    this.agent = new Agent({
      connect: { lookup: guardedLookup(allow) as any, timeout: 5000 },
      keepAliveTimeout: 30_000,
      // Off: every exchange has its deadline (Deadlines, above), well inside undici's 300 s.
      // undici arms a "fast timer" object per request for these, kept in its timer list until
      // its next sweep (~0.5-1 s later): long enough for V8 to move each one, and what it holds,
      // to the old generation. Measured (2026-12-06, bench:split deliver step, 50,000 deliveries,
      // --trace-gc-nvp, two alternated pairs): the main isolate promoted 36.0/36.1 MB -> 10.0/11.5
      // MB with 8/8 -> 1/2 full GCs; CPU per delivery 147.6/152.2 -> 144.4/140.6 us (V8's helper
      // threads 37.2/36.0 -> 31.8/32.6), 8,497/8,229 -> 8,746/8,759 deliveries/s.
      headersTimeout: 0,
      bodyTimeout: 0,
      connections: 128,
      pipelining: 1,
    });
  }

  private route(url: URL): Route {
    let r = this.routes.get(url);
    if (!r) {
      r = { origin: url.origin, path: `${url.pathname}${url.search}`, blocked: checkLiteralHost(url.hostname, this.allow) };
      this.routes.set(url, r);
    }
    return r;
  }

  /**
   * POSTs and collects the response. Rejects with BlockedAddressError, DeadlineError when no
   * complete response arrived by deadlineAt (epoch ms), or the network error.
   */
  post(url: URL, headers: Record<string, string>, body: Buffer | string, deadlineAt: number): Promise<HttpResult> {
    const route = this.route(url);
    if (route.blocked) return Promise.reject(new BlockedAddressError(route.blocked));
    return new Promise<HttpResult>((resolve, reject) => {
      const x = new Exchange(this.maxBodyBytes, resolve, reject);
      this.deadlines.add(x, deadlineAt);
      try {
        this.agent.dispatch({ origin: route.origin, path: route.path, method: 'POST', headers, body }, x);
      } catch (err) {
        x.onError(err as Error);
      }
    });
  }

  async destroy(): Promise<void> {
    await this.agent.destroy();
  }
}
