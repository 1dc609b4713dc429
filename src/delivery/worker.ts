// The delivery loop. It knows nothing about SQL or HTTP: it is handed claim, deliver, complete,
// release and sleep, so it can be tested with fakes.
//
// Each turn claims as many due jobs as there are free slots, excluding webhooks already at their
// per-endpoint limit, and starts them without waiting: a slow endpoint holds at most its own few
// slots and never delays the claim of other endpoints' jobs. Jobs claimed beyond an endpoint's
// limit wait in a short local queue while their lease is young, else go back to the table.
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { JobRow, JobTransition } from '../store/types.ts';
import { classify } from './outcome.ts';
import { decide, type RetryPolicy } from './retry-policy.ts';
import type { SendResult } from './sender.ts';

export interface WorkerDeps {
  claim(owner: string, limit: number, excludeWebhookIds: string[]): Promise<JobRow[]>;
  deliver(job: JobRow): Promise<SendResult>;
  complete(job: JobRow, owner: string, result: SendResult, transition: JobTransition): Promise<void>;
  release(owner: string, jobIds: string[]): Promise<void>;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Writes completions still buffered (group commit); called last by stop(). */
  flush?(): Promise<void>;
}

export interface WorkerOptions {
  concurrency: number;
  perEndpointConcurrency: number;
  pollIntervalMs: number;
  leaseMs: number;
  timeoutMs: number;
  policy: RetryPolicy;
  log: Logger;
  random?: () => number;
}

export function transitionFor(job: JobRow, result: SendResult, policy: RetryPolicy, random: () => number = Math.random): JobTransition {
  const outcome = result.permanent ? { kind: 'permanent' as const } : classify(result.statusCode, result.retryAfter);
  const decision = decide(outcome, job.tryCount + 1 - job.budgetStart, policy, random);
  const detail = result.error ?? (result.statusCode !== null ? `HTTP ${result.statusCode}` : null);
  if (decision.status === 'SUCCESS') return { status: 'SUCCESS', nextAttemptAt: null, detail: '' };
  if (decision.status === 'RETRY') return { status: 'RETRY', nextAttemptAt: Date.now() + decision.delayMs, detail };
  const why = outcome.kind === 'gone' ? ' (410 Gone: endpoint retired)' : outcome.kind === 'permanent' ? ' (not retried: client error)' : '';
  return { status: 'FAILED', nextAttemptAt: null, detail: `${detail ?? 'failed'}${why}` };
}

export class Worker {
  readonly owner = `w-${crypto.randomUUID()}`;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly waiting = new Map<string, JobRow[]>();
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake = new AbortController();
  private failures = 0;
  /** Set when the grace period ran out: results of attempts still running are no longer recorded. */
  private abandoned = false;

  constructor(private readonly deps: WorkerDeps, private readonly opts: WorkerOptions) {}

  start(): void {
    if (!this.running) this.running = this.loop();
  }

  /** New work exists (a publish in this process): skip the rest of the idle sleep. */
  notify(): void {
    this.wake.abort();
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  private saturated(): string[] {
    return [...this.perEndpoint].filter(([, n]) => n >= this.opts.perEndpointConcurrency).map(([id]) => id);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const free = this.opts.concurrency - this.inflight.size - [...this.waiting.values()].reduce((n, q) => n + q.length, 0);
      if (free <= 0) {
        await Promise.race(this.inflight.values());
        continue;
      }
      let jobs: JobRow[];
      try {
        jobs = await this.deps.claim(this.owner, free, this.saturated());
        this.failures = 0;
      } catch (err) {
        // A failed claim (database down) backs off instead of spinning; the loop never dies.
        this.failures++;
        this.opts.log.error({ err, failures: this.failures }, 'claim failed');
        await this.idle(Math.min(this.opts.pollIntervalMs * 2 ** this.failures, 10_000));
        continue;
      }
      if (!jobs.length) {
        await this.idle(this.opts.pollIntervalMs);
        continue;
      }
      const overflow: string[] = [];
      for (const job of jobs) {
        const queue = this.waiting.get(job.webhookId) ?? [];
        if ((this.perEndpoint.get(job.webhookId) ?? 0) < this.opts.perEndpointConcurrency) this.run(job);
        else if (queue.length < this.opts.perEndpointConcurrency * 4) this.waiting.set(job.webhookId, [...queue, job]);
        else overflow.push(job.id);
      }
      if (overflow.length) await this.deps.release(this.owner, overflow).catch((err) => this.opts.log.error({ err }, 'release failed'));
    }
  }

  private async idle(ms: number): Promise<void> {
    if (this.wake.signal.aborted) this.wake = new AbortController();
    await this.deps.sleep(ms, this.wake.signal).catch(() => undefined);
    if (this.wake.signal.aborted) this.wake = new AbortController();
  }

  private run(job: JobRow): void {
    this.perEndpoint.set(job.webhookId, (this.perEndpoint.get(job.webhookId) ?? 0) + 1);
    const p = this.attempt(job).finally(() => {
      this.inflight.delete(job.id);
      const left = (this.perEndpoint.get(job.webhookId) ?? 1) - 1;
      if (left > 0) this.perEndpoint.set(job.webhookId, left);
      else this.perEndpoint.delete(job.webhookId);
      this.next(job.webhookId);
    });
    this.inflight.set(job.id, p);
  }

  /** Starts the endpoint's next locally queued job, or hands back those whose lease is too old. */
  private next(webhookId: string): void {
    const queue = this.waiting.get(webhookId);
    if (!queue?.length) return;
    const stale: string[] = [];
    while (queue.length) {
      const job = queue.shift()!;
      // Starting needs time for a full attempt inside the lease, or another worker may take it.
      if (!this.stopping && (job.leaseUntil ?? 0) - Date.now() > this.opts.timeoutMs * 2) {
        this.run(job);
        break;
      }
      stale.push(job.id);
    }
    if (!queue.length) this.waiting.delete(webhookId);
    if (stale.length) void this.deps.release(this.owner, stale).catch((err) => this.opts.log.error({ err }, 'release failed'));
  }

  private async attempt(job: JobRow): Promise<void> {
    try {
      const result = await this.deps.deliver(job);
      // Cut off by shutdown: the lease was handed back and the job will be attempted again, so
      // this (likely aborted) attempt is neither counted nor recorded.
      if (this.abandoned) return;
      const transition = transitionFor(job, result, this.opts.policy, this.opts.random);
      await this.deps.complete(job, this.owner, result, transition);
    } catch (err) {
      // The job keeps its lease and comes back when it expires: at-least-once, never lost.
      this.opts.log.error({ err, jobId: job.id }, 'attempt could not be recorded');
    }
  }

  /**
   * Stops claiming, lets in-flight attempts finish within graceMs, returns queued jobs. Attempts
   * still running after the grace period are abandoned: their leases are handed back at once so a
   * restarted or other worker retries them without waiting for the lease to expire. The caller
   * then aborts their requests (closing the HTTP client).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.notify();
    await this.running;
    const queued = [...this.waiting.values()].flat().map((j) => j.id);
    this.waiting.clear();
    await this.deps.release(this.owner, queued).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.allSettled(this.inflight.values()).then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.abandoned = true;
      const cut = [...this.inflight.keys()];
      this.opts.log.warn({ jobs: cut.length, graceMs }, 'grace period over: abandoning in-flight attempts, their jobs go back to the queue');
      await this.deps.release(this.owner, cut).catch((err) => this.opts.log.error({ err }, 'release failed'));
    }
    await this.deps.flush?.().catch((err) => this.opts.log.error({ err }, 'writing the last attempt results failed'));
  }
}
