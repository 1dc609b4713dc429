// Retention: the delivery history does not grow for ever. A service delivering 100 events/s
// writes ~8.6 million events and as many attempt rows a day (~1 KB of payload each, attachments
// up to 25 MB); without this the disk fills. Every PRUNE_EVERY_MS the events older than
// HOOKRELAY_RETENTION_DAYS whose jobs are all over are deleted with their history (the store's
// pruneHistory), a batch per transaction, and so are expired idempotency keys, expired tokens
// (a token row per sign-in and per token issued, kept for ever before) and channel validations
// past the retention (a job and an attempt per validation, kept for ever before: no event).
//
// What is kept: any event with a job pending, retrying or not yet read from the event log, and
// all that is younger. A resend or replay racing the deletion of its (past-retention) event
// finds it gone and answers 404, or its job fails with "event no longer exists": never a
// delivery without its event.
import type { Logger } from 'pino';
import type { Store } from '../store/types.ts';

const DAY_MS = 24 * 3600 * 1000;
/** How often a process prunes; the first round runs this long after it starts, off its start-up. */
export const PRUNE_EVERY_MS = 10 * 60 * 1000;
/**
 * Events per transaction: each takes its attempts, jobs rows and attachments along, and on SQLite
 * the transaction holds the one writer meanwhile (publishes wait behind it). Measured
 * (2026-12-07, SQLite on its thread, 20,000 delivered events of ~1 KB with two attempts each):
 * 9.5 ms per batch of 200 (median), 73 ms at most (with a checkpoint).
 */
export const PRUNE_BATCH = 200;
/**
 * Batches per round at most (2,000,000 events): enough for a service publishing 1,000 events/s
 * to be pruned as fast as it publishes (600,000 per round), and a first round on a long history
 * still ends, the rest left to the next rounds.
 */
const MAX_BATCHES = 10_000;

export interface PruneTotals {
  events: number;
  jobs: number;
  attempts: number;
  idempotencyKeys: number;
  /** Expired bearer tokens and console sessions: pruned at their expiry, whatever the retention. */
  tokens: number;
  /** Channel validation jobs (with their one attempt each) past the retention. */
  validations: number;
}

export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PruneTotals> | null = null;

  constructor(
    private readonly store: Store,
    private readonly days: number,
    private readonly log: Logger,
  ) {}

  /** Prunes every PRUNE_EVERY_MS from now on (nothing with retention off). */
  start(): void {
    if (this.days <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.runOnce().catch((err) => this.log.error({ err }, 'pruning the delivery history failed; next round in 10 minutes')), PRUNE_EVERY_MS);
    // A pruning round never keeps the process alive.
    this.timer.unref();
  }

  /** Stops the rounds and waits for one under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One round (at most one at a time in a process): what it deleted. */
  runOnce(now = Date.now()): Promise<PruneTotals> {
    this.running ??= this.round(now).finally(() => (this.running = null));
    return this.running;
  }

  private async round(now: number): Promise<PruneTotals> {
    const totals: PruneTotals = { events: 0, jobs: 0, attempts: 0, idempotencyKeys: 0, tokens: 0, validations: 0 };
    if (this.days <= 0) return totals;
    const before = now - this.days * DAY_MS;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const r = await this.store.pruneHistory(before, PRUNE_BATCH);
      totals.events += r.events;
      totals.jobs += r.jobs;
      totals.attempts += r.attempts;
      if (r.events < PRUNE_BATCH) break;
    }
    totals.idempotencyKeys = await batches(() => this.store.pruneIdempotencyKeys(now, PRUNE_BATCH));
    totals.tokens = await batches(() => this.store.pruneExpiredTokens(now, PRUNE_BATCH));
    totals.validations = await batches(() => this.store.pruneValidations(before, PRUNE_BATCH));
    if (totals.events || totals.idempotencyKeys || totals.tokens || totals.validations) this.log.info({ ...totals, retentionDays: this.days }, 'delivery history pruned');
    return totals;
  }
}

/** Runs `prune` (one batch of PRUNE_BATCH) until a batch comes back short; the rows it deleted. */
async function batches(prune: () => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await prune();
    total += n;
    if (n < PRUNE_BATCH) break;
  }
  return total;
}
