// Wires the delivery loop to the store and the sender: what a job means in terms of rows
// (webhook, event, attachments) and what an attempt leaves behind (attempt row, job transition).
import type { AppContext } from '../context.ts';
import { openAuth, openSig } from '../domain/webhook-secrets.ts';
import type { ClaimedEvent, EventRow, JobRow, NewAttachment, Store, WebhookRow } from '../store/types.ts';
import { deliverWithStorage } from '../storage/destination.ts';
import { VERSION } from '../version.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';
import { Sender, type SendResult, type Target } from './sender.ts';
import { parseAllowRule } from './ssrf-guard.ts';
import { CompletionBatcher } from './completion-batcher.ts';
import { Worker, abortableSleep } from './worker.ts';
import { newId } from '../domain/ids.ts';
import { CredentialCache } from '../security/credential-cache.ts';
import { ByteBudget } from './byte-budget.ts';
import { onWrite } from '../store/read-cache.ts';

export function retryPolicy(ctx: AppContext): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, scheduleMs: ctx.config.delivery.retryScheduleMs };
}

export function createSender(ctx: AppContext): Sender {
  const d = ctx.config.delivery;
  return new Sender({ timeoutMs: d.timeoutMs, allow: parseAllowRule(d.allowPrivateTargets), userAgent: `HookRelay/${VERSION}`, maxResponseBodyBytes: d.maxResponseBodyBytes });
}

export function toTarget(ctx: AppContext, w: WebhookRow): Target {
  const sig = openSig(w.signatureVerification, ctx.box);
  return {
    id: w.id,
    url: w.url,
    urlParams: w.urlParams,
    authentication: openAuth(w.authentication, ctx.box),
    signature: sig ? { header: sig.header, secret: sig.secret } : null,
    additionalHeaders: w.additionalHeaders,
  };
}

/**
 * Webhooks by id with their secrets opened, kept for a second: a burst of deliveries to one
 * endpoint reads its row and decrypts its secrets once (AES-GCM per delivery was 2% of the
 * service's busy time in the bench), and an update still takes effect within a second.
 */
export class WebhookCache {
  // Deliveries in flight to a webhook whose entry just expired share one read. Bench (2026-11-22,
  // 100,000 deliveries to one webhook in ~13 s): 471-643 reads of the webhook before, 12 with it.
  private readonly cache = new CredentialCache<{ row: WebhookRow; target: Target } | null>();
  constructor(private readonly ctx: AppContext, private readonly ttlMs: number) {}

  /** Forgets every row: a webhook was changed or deleted through this process. */
  clear(): void {
    this.cache.clear();
  }

  get(orgId: number, id: string): Promise<{ row: WebhookRow; target: Target } | null> {
    return this.cache.get(id, async () => {
      const row = await this.ctx.store.findWebhook(orgId, id);
      return { value: row ? { row, target: toTarget(this.ctx, row) } : null, refreshAt: Date.now() + this.ttlMs };
    });
  }
}

function failedBeforeSending(error: string): SendResult {
  return { startedAt: Date.now(), durationMs: 0, statusCode: null, error, responseBody: null, retryAfter: null, requestHeaders: {}, permanent: true };
}

/**
 * Starts the delivery worker of this process. Besides claiming from the table, it takes jobs
 * straight from publishes in this process (ctx.dispatch, see Worker.reserve).
 */
export function createWorker(ctx: AppContext, sender: Sender): Worker {
  const d = ctx.config.delivery;
  const store = ctx.store;
  const batcher = new CompletionBatcher((items) => store.completeAttempts(items));
  // The event of each held job, read with its claim or handed over by its publish.
  const eventOf = new Map<string, EventRow | ClaimedEvent>();
  const webhooks = new WebhookCache(ctx, 1000);
  const memory = new ByteBudget(ctx.config.attachmentMemoryBytes);
  // With an S3 storage destination the files are uploaded first and the request carries their locations.
  const send = (hook: { row: WebhookRow; target: Target }, event: EventRow | ClaimedEvent, attachments: NewAttachment[] | undefined) =>
    deliverWithStorage(ctx, hook.row, event, attachments, (out) => sender.send(hook.target, out));
  // A webhook deleted or changed through this process is seen by its next delivery, not up to a
  // second later: 96 deliveries arrived more than 0.5 s after a delete had answered (API fuzzing,
  // 2026-12-07). Other processes see it within the cache's second.
  onWrite(store, () => webhooks.clear());
  const worker = new Worker(
    {
      async claim(owner, limit, exclude) {
        // The batch's events come with the claim, instead of a read per delivery.
        const claimed = await store.claimWithEvents({ owner, now: Date.now(), leaseMs: d.leaseMs, limit, excludeWebhookIds: exclude });
        const events = new Map<string, ClaimedEvent>();
        for (const e of claimed.events) {
          // Held as the bytes the sender sends (SQLite's claims give bytes already), converted
          // once per event rather than once per delivery: a payload string waiting for its turn
          // was moved to V8's old generation, the bytes are off the heap. Measured (2026-12-06,
          // PostgreSQL, bench:split deliver step, 50,000 deliveries, --trace-gc-nvp, two
          // alternated pairs): the main isolate promoted 91.9/97.3 -> 55.5/52.8 MB.
          // (Full GCs did not become fewer, 13-15 -> 16-17: on this heap they follow its small
          // growth limit, see bench/HISTORY.md.)
          if (typeof e.payload === 'string') e.payload = Buffer.from(e.payload);
          events.set(e.id, e);
        }
        for (const j of claimed.jobs) {
          const e = events.get(j.eventId);
          if (e) eventOf.set(j.id, e);
        }
        return claimed.jobs;
      },
      async deliver(job: JobRow) {
        const held = eventOf.get(job.id);
        eventOf.delete(job.id);
        let hook: Awaited<ReturnType<WebhookCache['get']>>;
        try {
          hook = await webhooks.get(job.orgId, job.webhookId);
        } catch (err) {
          // Secrets this process cannot open (checked at start, so a stored value damaged since):
          // a failed attempt saying so, through the retries to the dead-letter queue, instead of
          // a throw that sent the job back with its lease for ever.
          if (!/ciphertext|authenticate data/.test((err as Error)?.message ?? '')) throw err;
          return { ...failedBeforeSending(`the webhook's secrets cannot be decrypted with this process's key: ${(err as Error).message}`), permanent: false };
        }
        if (!hook) return failedBeforeSending('webhook was deleted');
        const event = held ?? (await store.findEvent(job.orgId, job.eventId));
        if (!event) return failedBeforeSending('event no longer exists');
        if (!event.attachments.length) return send(hook, event, undefined);
        // Held twice over while sent: the files as read, and the request body (or the S3 client's
        // buffers) built from them. Waited for while the lease leaves time for the attempt.
        const bytes = 2 * event.attachments.reduce((n, a) => n + a.size, 0);
        const waitMs = (job.leaseUntil ?? 0) - Date.now() - 2 * d.timeoutMs;
        if (!(await memory.acquire(bytes, waitMs))) return { ...failedBeforeSending('no memory for the attachments before the lease ran low'), permanent: false, notSent: true };
        try {
          return await send(hook, event, await store.getAttachmentData(event.id));
        } finally {
          memory.release(bytes);
        }
      },
      async complete(job, owner, r, transition) {
        ctx.metrics.attempt(job, r, transition);
        const kept = await batcher.add({
          attempt: {
            id: newId(),
            jobId: job.id,
            eventId: job.eventId,
            webhookId: job.webhookId,
            orgId: job.orgId,
            attemptNo: job.tryCount + 1,
            startedAt: r.startedAt,
            durationMs: r.durationMs,
            statusCode: r.statusCode,
            success: transition.status === 'SUCCESS',
            error: r.error,
            responseBody: r.responseBody,
            requestHeaders: r.requestHeaders,
          },
          owner,
          transition,
        });
        if (!kept) ctx.log.warn({ jobId: job.id }, 'lease lost before the attempt was recorded; another worker owns the job');
        // Into the dead-letter queue is what an operator must see; a retry is routine, a success noise.
        const level = transition.status === 'SUCCESS' ? 'debug' : transition.status === 'FAILED' ? 'warn' : 'info';
        // The record object is built only when the level is on: one per delivery otherwise.
        if (ctx.log.isLevelEnabled(level)) {
          const next = transition.nextAttemptAt === null ? undefined : new Date(transition.nextAttemptAt).toISOString();
          ctx.log[level](
            { jobId: job.id, eventId: job.eventId, eventType: job.eventType, webhookId: job.webhookId, attempt: job.tryCount + 1, status: transition.status, http: r.statusCode, ms: r.durationMs, detail: transition.detail, nextAttemptAt: next },
            transition.status === 'FAILED' ? 'delivery failed for good: into the dead-letter queue' : 'delivery attempt',
          );
        }
      },
      release: (owner, ids) => {
        for (const id of ids) eventOf.delete(id);
        return store.releaseLeases(owner, ids);
      },
      flush: () => batcher.drain(),
      sleep: abortableSleep,
    },
    {
      concurrency: d.concurrency,
      perEndpointConcurrency: d.perEndpointConcurrency,
      pollIntervalMs: d.pollIntervalMs,
      leaseMs: d.leaseMs,
      timeoutMs: d.timeoutMs,
      policy: retryPolicy(ctx),
      log: ctx.log,
    },
  );
  ctx.dispatch = {
    hasRoom: (webhookId) => worker.hasRoom(webhookId),
    reserve: (job) => worker.reserve(job),
    start(jobs, events) {
      const byId = new Map(events.map((e) => [e.id, e]));
      for (const j of jobs) {
        const e = byId.get(j.eventId);
        if (e) eventOf.set(j.id, e);
      }
      worker.adopt(jobs);
    },
    cancel: (jobs) => worker.cancel(jobs),
  };
  return worker;
}
