// A budget of bytes held in memory at once, taken in turn. Attachment data lives outside V8's heap,
// so the heap limit does not bound it: deliveries of 24 MB files held each file once per attempt
// in flight, plus the multipart body built from it (peak RSS 1.1 GB for 40 events to one webhook,
// 4.9 GB for 24 events fanned out to 16; attachment fuzzing, 2026-12-07).
export class ByteBudget {
  private used = 0;
  private readonly queue: { bytes: number; grant: (ok: boolean) => void; timer: NodeJS.Timeout }[] = [];

  constructor(readonly capacity: number) {}

  /**
   * Takes `bytes` (at most the whole budget), waiting in turn up to `waitMs`; false when it could
   * not within that time. A true answer must be followed by release(bytes).
   */
  acquire(bytes: number, waitMs: number): Promise<boolean> {
    const b = Math.min(bytes, this.capacity);
    if (!this.queue.length && this.used + b <= this.capacity) {
      this.used += b;
      return Promise.resolve(true);
    }
    if (waitMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = {
        bytes: b,
        grant: resolve,
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(entry), 1);
          resolve(false);
          // A large request given up may have held back smaller ones behind it.
          this.pump();
        }, waitMs),
      };
      this.queue.push(entry);
    });
  }

  release(bytes: number): void {
    this.used -= Math.min(bytes, this.capacity);
    this.pump();
  }

  /** Bytes taken now (for tests and metrics). */
  get inUse(): number {
    return this.used;
  }

  private pump(): void {
    while (this.queue.length && this.used + this.queue[0].bytes <= this.capacity) {
      const e = this.queue.shift()!;
      clearTimeout(e.timer);
      this.used += e.bytes;
      e.grant(true);
    }
  }
}
