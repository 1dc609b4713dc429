// Prometheus metrics of one process (prom-client): what its worker delivered and how, what its API
// accepted and answered, and the queue's state in the database, which every process reports alike
// (read at most once per STATS_TTL_MS, whatever the scrape rate). Served at /metrics
// (routes/metrics.ts) and, when configured, on a port of their own (metrics-server.ts).
import client from 'prom-client';
import type { Logger } from 'pino';
import { STORAGE_STEP } from '../storage/destination.ts';
import type { JobRow, JobTransition, QueueStats, Store } from '../store/types.ts';

/** How long one read of the queue's state serves scrapes: ~10 ms of the database's time each (200,000 dead letters, 100,000 jobs waiting). */
const STATS_TTL_MS = 10_000;

/** What an attempt came to, as the attempts counter's `result` label: a bounded set. */
export function attemptResult(statusCode: number | null, error: string | null): string {
  if (statusCode !== null) return statusCode >= 200 && statusCode < 300 ? 'success' : `http_${Math.floor(statusCode / 100)}xx`;
  const e = error ?? '';
  if (e.startsWith('timeout')) return 'timeout';
  if (e.startsWith('network error')) return 'network_error';
  if (e.startsWith('refused')) return 'refused';
  if (e.startsWith('authentication failed')) return 'auth_failed';
  if (e.startsWith(STORAGE_STEP)) return 'storage_failed';
  // The webhook deleted or the event pruned before the attempt: nothing was sent.
  return 'not_sent';
}

/** The worker's figures the metrics read at scrape time (Worker implements it). */
export interface WorkerGauges {
  readonly inFlight: number;
  readonly heldJobs: number;
}

export class Metrics {
  readonly registry = new client.Registry();
  private readonly attempts;
  private readonly attemptSeconds;
  private readonly transitions;
  private readonly endToEnd;
  private readonly accepted;
  private readonly duplicates;
  private readonly requests;
  private readonly requestSeconds;
  /** Label children by value: labels() hashes its arguments on every call, once per delivery here. */
  private readonly attemptChild = new Map<string, client.Counter.Internal>();
  private readonly transitionChild = new Map<string, client.Counter.Internal>();
  private worker: WorkerGauges | null = null;
  private stats: { at: number; value: Promise<QueueStats | null> } | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {
    const registers = [this.registry];
    this.attempts = new client.Counter({ name: 'hookrelay_delivery_attempts_total', help: 'Delivery attempts made by this process, by result: success, http_3xx/4xx/5xx, timeout, network_error, refused (outbound guard or unsendable header), auth_failed (OAuth2 token), storage_failed (S3 step), not_sent', labelNames: ['result'], registers });
    this.attemptSeconds = new client.Histogram({ name: 'hookrelay_delivery_attempt_duration_seconds', help: 'Time of each delivery attempt, connect to last response byte (uploads to S3 included)', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.transitions = new client.Counter({ name: 'hookrelay_delivery_jobs_total', help: 'Jobs that an attempt of this process moved, by their new status: SUCCESS (delivered), RETRY (a retry scheduled), FAILED (into the dead-letter queue)', labelNames: ['status'], registers });
    this.endToEnd = new client.Histogram({ name: 'hookrelay_delivery_end_to_end_seconds', help: 'From a job\'s creation (its event accepted, or its test or resend asked for) to the end of its successful attempt, retries and replays included', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 21600, 86400], registers });
    this.accepted = new client.Counter({ name: 'hookrelay_events_accepted_total', help: 'Events accepted (committed) by this process\'s API, by event type', labelNames: ['type'], registers });
    this.duplicates = new client.Counter({ name: 'hookrelay_events_duplicate_total', help: 'Publishes answered with an earlier event of the same idempotency key (nothing stored)', registers });
    this.requests = new client.Counter({ name: 'hookrelay_http_requests_total', help: 'API requests answered by this process, by method, route pattern and status code', labelNames: ['method', 'route', 'status'], registers });
    this.requestSeconds = new client.Histogram({ name: 'hookrelay_http_request_duration_seconds', help: 'Time to answer API requests, by method and route pattern', labelNames: ['method', 'route'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers });

    const self = this;
    const queueGauge = (name: string, help: string, read: (s: QueueStats, now: number) => number) =>
      new client.Gauge({
        name, help, registers,
        async collect() {
          const s = await self.queueStats();
          if (s) this.set(read(s, Date.now()));
        },
      });
    queueGauge('hookrelay_queue_due_jobs', 'Jobs whose attempt is due and not over, in flight included: first attempts, retries whose time has come, replays (the database\'s, the same in every process)', (s) => s.dueJobs);
    queueGauge('hookrelay_queue_scheduled_jobs', 'Jobs whose next attempt is scheduled later: retries waiting out their delay (the database\'s)', (s) => s.scheduledJobs);
    queueGauge('hookrelay_queue_oldest_due_age_seconds', 'How long the oldest due job has been due; 0 when none is. Grows when delivery falls behind', (s, now) => (s.oldestDueAt === null ? 0 : Math.max(0, now - s.oldestDueAt) / 1000));
    queueGauge('hookrelay_dead_letter_jobs', 'Jobs in the dead-letter queue (FAILED event and test jobs of all orgs)', (s) => s.deadLetters);
    new client.Gauge({
      name: 'hookrelay_database_up', help: '1 when the last read of the queue\'s state succeeded, else 0', registers,
      async collect() {
        this.set((await self.queueStats()) ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'hookrelay_worker_jobs_in_flight', help: 'Attempts this process\'s worker is making now', registers,
      collect() {
        this.set(self.worker?.inFlight ?? 0);
      },
    });
    new client.Gauge({
      name: 'hookrelay_worker_jobs_held', help: 'Jobs this process\'s worker holds: in flight, and leased waiting for their webhook\'s free slot', registers,
      collect() {
        this.set(self.worker?.heldJobs ?? 0);
      },
    });
  }

  /** Node's own process figures (CPU, memory, event loop delay, GC): for a serving process, not a one-off command. */
  collectProcessMetrics(): void {
    client.collectDefaultMetrics({ register: this.registry });
  }

  watchWorker(worker: WorkerGauges): void {
    this.worker = worker;
  }

  /** An attempt made by this process's worker and the job's move it caused. */
  attempt(job: JobRow, r: { startedAt: number; durationMs: number; statusCode: number | null; error: string | null }, t: JobTransition): void {
    const result = attemptResult(r.statusCode, r.error);
    let a = this.attemptChild.get(result);
    if (!a) this.attemptChild.set(result, (a = this.attempts.labels(result)));
    a.inc();
    this.attemptSeconds.observe(r.durationMs / 1000);
    let s = this.transitionChild.get(t.status);
    if (!s) this.transitionChild.set(t.status, (s = this.transitions.labels(t.status)));
    s.inc();
    if (t.status === 'SUCCESS') this.endToEnd.observe(Math.max(0, r.startedAt + r.durationMs - job.createdAt) / 1000);
  }

  /** Events a publish committed (created) and those its idempotency keys answered with earlier ones. */
  published(types: string[], created: boolean[]): void {
    // A batch is mostly of one type: one labelled increment per type, not per event.
    const byType = new Map<string, number>();
    let duplicates = 0;
    for (let i = 0; i < types.length; i++) {
      if (created[i]) byType.set(types[i], (byType.get(types[i]) ?? 0) + 1);
      else duplicates++;
    }
    for (const [type, n] of byType) this.accepted.labels(type).inc(n);
    if (duplicates) this.duplicates.inc(duplicates);
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.labels(method, route, String(status)).inc();
    this.requestSeconds.labels(method, route).observe(seconds);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The queue's state, read at most once per STATS_TTL_MS; null when the read failed. */
  private queueStats(): Promise<QueueStats | null> {
    const now = Date.now();
    if (!this.stats || now - this.stats.at >= STATS_TTL_MS) {
      const value = this.store.queueStats(now).catch((err) => {
        this.log.warn({ err }, 'metrics: the queue\'s state could not be read');
        return null;
      });
      this.stats = { at: now, value };
    }
    return this.stats.value;
  }
}
