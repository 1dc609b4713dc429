// Group commit for attempt results. Each completion is one transaction of two statements; with
// an fsync per commit that is one fsync per delivery, which caps throughput at the disk's
// fsync rate. Completions arriving within DEFAULT_DELAY_MS are written in one call to the store
// (one message to SQLite's storage thread, one transaction) instead. A crash before the write
// loses only the record of those attempts, and their jobs are delivered again when the lease
// expires: at-least-once, as promised.
import type { Completion } from '../store/types.ts';

/**
 * How long a result may wait for others. Its webhook's slot and share are free already (the
 * worker frees them with the response), so the wait costs only how soon the history shows the
 * attempt, and on a crash the records of that many more attempts (their jobs are delivered
 * again). 10 ms rather than 2 (2026-12-06, alternated runs): SQLite's throughput phase 111,
 * 111, 112 against 113, 118, 115 us of the service's CPU per delivery (12,164-12,217 against
 * 11,588-12,022 deliveries/s; ~120 results a call instead of ~24); bench:lowrate at 1,000
 * publishes/s 642 and 608 against 674 and 670 us per event (the storage thread 198-213 against
 * 228-235). On PostgreSQL within the noise: 112, 112, 101 against 112, 111, 111 us (the server
 * 42-44 against 44-45 us), 8,993-9,693 against 9,026-9,067 deliveries/s.
 * 25 ms rather than 10 (2026-12-07, six alternated pairs of SQLite's throughput phase on a slowed
 * machine): 131-149 against 137-155 us of the service's CPU per delivery, lower in all six pairs
 * (the main thread 73-84 against 78-87), 8,969-10,433 against 8,785-9,937 deliveries/s;
 * bench:lowrate at 1,000 publishes/s 718-736 against 745-783 us per event, p99 5.6-6.1 against
 * 5.2-5.6 ms (three pairs); PostgreSQL's throughput phase within the noise (7,635 and 7,848
 * against 7,993 and 7,584/s). 50 ms with calls of up to 1,024 against 25 ms: 134-143 against
 * 130-150 us in three pairs, no clear gain, and twice the attempts delivered again after a crash.
 */
const DEFAULT_DELAY_MS = 25;

/**
 * Whether the store refused a record's data (PostgreSQL's SQLSTATE class 22, "data exception",
 * e.g. 22021 for a NUL byte in text) rather than failing as a whole: only then is the batch worth
 * writing again a record at a time. A store that is down fails every record, and trying each
 * alone would hold the next batches for as many connection timeouts.
 */
function refusedData(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('22');
}

export class CompletionBatcher {
  private queue: { item: Completion; resolve: (kept: boolean) => void; reject: (err: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (items: Completion[]) => Promise<boolean[]>,
    private readonly maxBatch = 256,
    private readonly maxDelayMs = DEFAULT_DELAY_MS,
  ) {}

  add(item: Completion): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flushSoon(0);
      else this.flushSoon(this.maxDelayMs);
    });
  }

  private flushSoon(delay: number): void {
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, delay);
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const kept = await this.write(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(kept[i]));
      } catch (err) {
        if (batch.length === 1 || !refusedData(err)) {
          batch.forEach((b) => b.reject(err));
          continue;
        }
        // One record the store refuses fails its own attempt only: written one at a time, the
        // others are kept. (A whole batch lost was delivered again after its leases, to every
        // webhook in it, at every try: a response body holding a NUL byte did that on
        // PostgreSQL, fuzzing 2026-12-07.)
        for (const b of batch) {
          try {
            b.resolve((await this.write([b.item]))[0]);
          } catch (one) {
            b.reject(one);
          }
        }
      }
    }
  }

  /** Writes whatever is queued; used at shutdown. */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = this.flushing.then(() => this.flush());
    await this.flushing;
  }
}
