// Group commit for attempt results. Each completion is one transaction of two statements; with
// an fsync per commit that is one fsync per delivery, which caps throughput at the disk's
// fsync rate. Completions arriving within a few milliseconds are written in one transaction
// instead. A crash before the commit loses only the record of those attempts, and their jobs are
// delivered again when the lease expires: at-least-once, as promised.
import type { Completion } from '../store/types.ts';

export class CompletionBatcher {
  private queue: { item: Completion; resolve: (kept: boolean) => void; reject: (err: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (items: Completion[]) => Promise<boolean[]>,
    private readonly maxBatch = 256,
    private readonly maxDelayMs = 2,
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
        batch.forEach((b) => b.reject(err));
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
