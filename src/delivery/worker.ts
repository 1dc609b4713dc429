// The delivery loop. It knows nothing about SQL or HTTP: it is handed claim, deliver, complete,
// release and sleep, so it can be tested with fakes.
//
// Claimed jobs are "held" by this worker: running (at most perEndpointConcurrency per webhook) or
// waiting in a short local queue for that webhook's next free slot. A webhook holding its share
// (perEndpointConcurrency * QUEUE_DEPTH jobs, at most half the worker) is "full" and excluded from
// claims; a claim already under way may bring it up to half a share more. So a slow endpoint holds
// at most its own few slots and never delays the claim of other endpoints' jobs.
//
// The loop claims when there is room and sleeps otherwise; it is woken by a publish in this
// process, or when a webhook's holding falls to half its share (refill before its slots run dry).
// Claims that exclude full webhooks may scan the whole backlog of the excluded ones, so they run at
// most once per poll interval unless one found work: with 100,000 jobs queued for one webhook,
// refilling on every completion by an excluding claim took 5 ms a claim and capped SQLite at a few
// hundred deliveries/s (bench, 2026-11-22); refilling by a plain claim at half-full is cheap.
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

/** What a publish in this process asks of its worker (see Worker.reserve). */
export interface LocalDispatch {
  hasRoom(webhookId: string): boolean;
  reserve(job: JobRow): void;
  adopt(jobs: JobRow[]): void;
  cancel(jobs: JobRow[]): void;
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

/**
 * The loop's sleep (WorkerDeps.sleep): up to `ms`, cut short by the signal. Its listener goes when
 * the timer fires: the wake-up signal outlives many sleeps, and listeners left behind pile up.
 * Not node:timers/promises' setTimeout with a signal: a wake-up is routine here (a publish, a
 * refill), and that one rejects each with a new AbortError and its stack (see wakeUp).
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The reason given to the wake-up signal (never thrown). */
const WAKE = 'wake';

/** A webhook may hold this many times its concurrency in claimed jobs (running + waiting). */
const QUEUE_DEPTH = 4;

/** The part of the worker kept for webhooks not yet using their concurrency (see Worker.reserved): a quarter. */
const RESERVE_PART = 4;

/** Longest wait between empty excluding claims, in poll intervals (2 s at the default 250 ms). */
const EXCLUDED_BACKOFF = 8;

export class Worker implements LocalDispatch {
  readonly owner = `w-${crypto.randomUUID()}`;
  private readonly inflight = new Map<string, Promise<void>>();
  /** Running attempts per webhook. */
  private readonly perEndpoint = new Map<string, number>();
  private readonly waiting = new Map<string, JobRow[]>();
  /** Jobs held per webhook: running + waiting. */
  private readonly held = new Map<string, number>();
  private totalHeld = 0;
  /** When a claim that excluded full webhooks last came back empty. */
  private excludedEmptyAt = 0;
  /** Excluding claims in a row that came back empty (see excludedWait), and what the last one excluded. */
  private excludedMisses = 0;
  private lastExcluded = new Set<string>();
  /** Whether the last claim was spread over several webhooks (then a bigger claim cannot overflow one). */
  private spread = false;
  /**
   * Whether the last claim took all it asked for: due jobs are likely still waiting in the table,
   * and new ones join them there (publishes reserve none) so they are delivered after them.
   * Bench (2026-11-22, 100,000 events to one webhook, worker state sampled every 50 ms): jobs
   * reserved by publishes held the webhook's whole share while their commit waited for its fsync,
   * its slots idle in ~1 sample of 4 though the table held thousands of due jobs.
   */
  private backlog = false;
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

  /**
   * Direct dispatch. Jobs a publish in this process is about to commit are leased to this worker
   * as far as it has room (their lease fields are set before the insert), and started from memory
   * once the commit is done: no claim, no read of the event. Bench (2026-11-22, 1,000 single
   * publishes/s on SQLite): a claim and an event read per publish were ~30% of the service's time.
   * If the process dies first, the leases expire and any worker takes the jobs.
   */
  hasRoom(webhookId: string): boolean {
    const held = this.held.get(webhookId) ?? 0;
    return !this.stopping && !this.backlog && this.totalHeld < this.opts.concurrency && held < this.share && !this.reserved(held);
  }

  /** Leases a job that hasRoom() accepted to this worker. */
  reserve(job: JobRow): void {
    this.hold(job.webhookId, 1);
    job.leaseOwner = this.owner;
    job.leaseUntil = Date.now() + this.opts.leaseMs;
  }

  /** The reserved jobs are committed: run them (or queue them behind their endpoint's slots). */
  adopt(jobs: JobRow[]): void {
    if (this.stopping) {
      this.cancel(jobs);
      void this.deps.release(this.owner, jobs.map((j) => j.id)).catch((err) => this.opts.log.error({ err }, 'release failed'));
      return;
    }
    for (const job of jobs) this.dispatch(job);
  }

  /** The publish did not commit (or the event was a duplicate): forget the reservation. */
  cancel(jobs: JobRow[]): void {
    for (const job of jobs) this.hold(job.webhookId, -1);
  }

  /**
   * New work exists (a publish in this process): skip the rest of the idle sleep. With the
   * webhooks of the new jobs, the back-off of excluding claims (excludedWait) goes on only when
   * the last one excluded all of them (their jobs are claimed when they have room again);
   * without, as for replays, it ends.
   */
  notify(webhookIds?: Iterable<string>): void {
    if (this.excludedMisses && (!webhookIds || [...webhookIds].some((id) => !this.lastExcluded.has(id)))) {
      this.excludedMisses = 0;
      this.excludedEmptyAt = 0;
    }
    this.wakeUp();
  }

  /** Skips the rest of the loop's idle sleep. */
  private wakeUp(): void {
    // abort() with no reason builds a DOMException on every call, awake or not (bench profile,
    // 2026-11-22: 1% of the event loop, one per delivery).
    if (!this.wake.signal.aborted) this.wake.abort(WAKE);
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  /** Jobs held: in flight, and leased waiting for their webhook's slot. */
  get heldJobs(): number {
    return this.totalHeld;
  }

  /** Jobs at which a webhook is full: a few rounds of its slots, and never more than half the worker. */
  private get share(): number {
    return Math.max(1, Math.min(this.opts.perEndpointConcurrency * QUEUE_DEPTH, Math.floor(this.opts.concurrency / 2)));
  }

  /**
   * Whether a webhook holding `held` jobs must leave the rest of the worker to others: the last
   * RESERVE_PART of the worker's slots go only to webhooks holding fewer jobs than their
   * concurrency. Without it two webhooks with slow endpoints and a backlog each held half the
   * worker (their share), and a fast webhook beside them got a slot only as theirs freed: 447 of
   * 15,000 deliveries in 40 s (fuzzing, 2026-12-07). A single webhook's backlog (the bench's
   * throughput phase) holds at most its share and a half, as before: 192 of 256.
   */
  private reserved(held: number): boolean {
    return held >= this.opts.perEndpointConcurrency && this.opts.concurrency - this.totalHeld <= Math.floor(this.opts.concurrency / RESERVE_PART);
  }

  /**
   * How long after an empty excluding claim the next one waits: the poll interval, doubled for
   * each further empty one up to EXCLUDED_BACKOFF x. Such a claim reads every due job of the
   * excluded webhooks to find none of anyone else's. auto_explain (2026-11-23, PostgreSQL,
   * 100,000 events to one webhook): 39 of them over 15 ms in one run, 1.2 s of server time, each
   * walking the whole backlog (42 ms at 20,772 due jobs). A publish in this process for a webhook
   * that is not full ends the back-off at once (notify); jobs published by other processes may
   * wait up to the longest step while one webhook's backlog fills this worker.
   */
  private get excludedWait(): number {
    return this.opts.pollIntervalMs * Math.min(2 ** Math.max(0, this.excludedMisses - 1), EXCLUDED_BACKOFF);
  }

  /** The webhooks not to claim for: those holding their share, and in the reserve those holding their concurrency. */
  private full(): string[] {
    const share = this.share;
    return [...this.held].filter(([, n]) => n >= share || this.reserved(n)).map(([id]) => id);
  }

  private hold(webhookId: string, delta: number): number {
    const n = (this.held.get(webhookId) ?? 0) + delta;
    if (n > 0) this.held.set(webhookId, n);
    else this.held.delete(webhookId);
    this.totalHeld += delta;
    return n;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const room = this.opts.concurrency - this.totalHeld;
      const exclude = this.full();
      // Nothing to do until a slot frees, or an excluding claim came back empty a moment ago.
      const sinceEmpty = Date.now() - this.excludedEmptyAt;
      const wait = this.excludedWait;
      if (room <= 0 || (exclude.length && sinceEmpty < wait)) {
        await this.idle(room <= 0 ? this.opts.pollIntervalMs : wait - sinceEmpty);
        continue;
      }
      let jobs: JobRow[];
      try {
        // Behind a single webhook's backlog a claim takes half its share, the refill step (see
        // run), so it fills that share without overflow. Bench (2026-11-22): claiming a whole share
        // at half-full handed back half of every claim, 1,688 releases per 100,000 jobs. When the
        // last claim was spread over webhooks (fan-out), it takes all the room: 32 jobs a claim
        // there cut fan-out from 5,204 to 4,257 deliveries/s.
        const limit = this.spread ? room : Math.min(room, Math.ceil(this.share / 2));
        jobs = await this.deps.claim(this.owner, limit, exclude);
        this.backlog = jobs.length >= limit;
        this.spread = jobs.length > 1 && jobs.some((j) => j.webhookId !== jobs[0].webhookId);
        this.failures = 0;
      } catch (err) {
        // A failed claim (database down) backs off instead of spinning; the loop never dies.
        this.failures++;
        this.opts.log.error({ err, failures: this.failures }, 'claim failed');
        await this.idle(Math.min(this.opts.pollIntervalMs * 2 ** this.failures, 10_000));
        continue;
      }
      if (exclude.length) {
        this.excludedMisses = jobs.length ? 0 : this.excludedMisses + 1;
        this.lastExcluded = new Set(exclude);
        if (!jobs.length) this.excludedEmptyAt = Date.now();
      } else if (!jobs.length) await this.idle(this.opts.pollIntervalMs);
      if (!jobs.length) continue;
      // A claim started below a webhook's share may come back with more than fits it (sends
      // completed meanwhile, then the refill came): up to one refill step over the share is
      // kept, not handed back. Bench (2026-11-23, 50,000 deliveries to one webhook, worker
      // alone): 375 releases handed back 9,052 claimed jobs (18%), claimed, read and cloned for
      // nothing; none now, worker CPU 161-194 -> 137-157 us per delivery. (Counting the webhook
      // full from half its share instead also ended them, but let new publishes overtake the
      // jobs in the table: 1,000 publishes/s, p99 15-67 ms against 13-36 ms.)
      const overflow: string[] = [];
      const keep = this.share + Math.ceil(this.share / 2);
      for (const job of jobs) {
        const held = this.held.get(job.webhookId) ?? 0;
        if (held >= keep || this.reserved(held)) {
          overflow.push(job.id);
          continue;
        }
        this.hold(job.webhookId, 1);
        this.dispatch(job);
      }
      if (overflow.length) await this.deps.release(this.owner, overflow).catch((err) => this.opts.log.error({ err }, 'release failed'));
    }
  }

  /** Runs a held job now if its endpoint has a free slot, else queues it behind them. */
  private dispatch(job: JobRow): void {
    if ((this.perEndpoint.get(job.webhookId) ?? 0) < this.opts.perEndpointConcurrency) this.run(job);
    else {
      const queue = this.waiting.get(job.webhookId);
      if (queue) queue.push(job);
      else this.waiting.set(job.webhookId, [job]);
    }
  }

  /** Sleeps up to ms; returns at once when woken since the last sleep (no wake-up is lost). */
  private async idle(ms: number): Promise<void> {
    if (!this.wake.signal.aborted) await this.deps.sleep(ms, this.wake.signal).catch(() => undefined);
    if (this.wake.signal.aborted) this.wake = new AbortController();
  }

  private run(job: JobRow): void {
    this.perEndpoint.set(job.webhookId, (this.perEndpoint.get(job.webhookId) ?? 0) + 1);
    const p = this.attempt(job).finally(() => this.inflight.delete(job.id));
    this.inflight.set(job.id, p);
  }

  /**
   * A job's response is in (or it failed to send): its slot and its place in the share free up.
   * The endpoint's slot frees when its response is in, not when the attempt is recorded: the
   * record waits for a group commit. Bench (2026-11-22): holding the slot through the commit
   * made a slot last ~7 ms on loopback and capped one webhook at ~1,000 deliveries/s.
   * The job stops counting against its webhook's share with its response too: its lease stays
   * ours until the attempt is recorded, so no claim can return it meanwhile, and the next jobs
   * are claimed while the record waits for its group commit and fsync. Bench (2026-11-22, one
   * webhook, SQLite on its thread): sampled every 50 ms, 60-160 finished attempts were waiting
   * for their record while the webhook's claimed queue stood empty; its slots now stay busy.
   */
  private endpointDone(webhookId: string): void {
    const left = (this.perEndpoint.get(webhookId) ?? 1) - 1;
    if (left > 0) this.perEndpoint.set(webhookId, left);
    else this.perEndpoint.delete(webhookId);
    this.next(webhookId);
    const reserveFull = this.reserved(this.held.get(webhookId) ?? 0);
    const held = this.hold(webhookId, -1);
    // Claimable again: at its refill point (half its share, before its slots run dry), or out of
    // the reserve, where it holds at most its concurrency (the fast webhook beside slow ones).
    const refill = held === Math.floor(this.share / 2) || (reserveFull && held < this.share && !this.reserved(held));
    // The back-off of excluding claims ends for it: a fast webhook beside slow ones filling the
    // worker waited out each step (up to 8 polls) with its slots idle. A burst to a healthy, a
    // hanging and a slow webhook: the healthy one's copies arrived after 2.2 s (p50), 4.5 s at
    // most, on a quiet machine; 7.8 s and 13.6 s in a soak (isolation soak, 2026-12-08). (Ended at
    // every return below its share instead, a single webhook's backlog was claimed for at 127
    // held instead of 64: 13% more CPU per delivery, bench:ab.)
    if (refill && this.excludedMisses && this.lastExcluded.has(webhookId)) {
      this.excludedMisses = 0;
      this.excludedEmptyAt = 0;
    }
    // Also a full worker has room again.
    if (refill || this.totalHeld === this.opts.concurrency - 1) this.wakeUp();
  }

  /** Starts the endpoint's next locally queued job, or hands back those whose lease is too old. */
  private next(webhookId: string): void {
    const queue = this.waiting.get(webhookId);
    if (!queue?.length) return;
    // Made only when a lease is too old: this runs once per delivery.
    let stale: string[] | null = null;
    while (queue.length) {
      const job = queue.shift()!;
      // Starting needs time for a full attempt inside the lease, or another worker may take it.
      if (!this.stopping && (job.leaseUntil ?? 0) - Date.now() > this.opts.timeoutMs * 2) {
        this.run(job);
        break;
      }
      (stale ??= []).push(job.id);
      this.hold(webhookId, -1);
    }
    if (!queue.length) this.waiting.delete(webhookId);
    if (stale) void this.deps.release(this.owner, stale).catch((err) => this.opts.log.error({ err }, 'release failed'));
  }

  private async attempt(job: JobRow): Promise<void> {
    let result: SendResult;
    try {
      result = await this.deps.deliver(job);
    } catch (err) {
      // The job keeps its lease and comes back when it expires: at-least-once, never lost.
      this.opts.log.error({ err, jobId: job.id }, 'delivery threw; the job comes back when its lease expires');
      return;
    } finally {
      this.endpointDone(job.webhookId);
    }
    // Cut off by shutdown: the lease was handed back and the job will be attempted again, so
    // this (likely aborted) attempt is neither counted nor recorded.
    if (this.abandoned) return;
    // Not sent (no memory for its attachments before its lease ran low): handed back, not counted.
    if (result.notSent) {
      void this.deps.release(this.owner, [job.id]).catch((err) => this.opts.log.error({ err }, 'release failed'));
      return;
    }
    try {
      const transition = transitionFor(job, result, this.opts.policy, this.opts.random);
      await this.deps.complete(job, this.owner, result, transition);
    } catch (err) {
      this.opts.log.error({ err, jobId: job.id }, 'attempt could not be recorded; the job comes back when its lease expires');
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
    this.wakeUp();
    await this.running;
    const queued = [...this.waiting.values()].flat().map((j) => j.id);
    for (const j of [...this.waiting.values()].flat()) this.hold(j.webhookId, -1);
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
