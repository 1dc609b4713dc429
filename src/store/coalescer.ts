// Group commit for a store whose writes are single statements over a connection pool
// (PostgreSQL). A call goes out at once while fewer than `maxInFlight` are under way; calls that
// arrive while that many are out wait, and go together as one call when one comes back. At a
// steady rate nothing waits and nothing changes; when the service falls behind (a burst, a cold
// start, a slow disk), each statement and commit carries many callers' rows instead of one, so
// the backlog costs less to clear instead of more.

/** Whether an error was caused by the rows (a constraint or a bad value), not by the connection. */
export type RowError = (err: unknown) => boolean;

interface Waiting<T, R> {
  items: T[];
  resolve: (results: R[]) => void;
  reject: (err: unknown) => void;
}

export class Coalescer<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private inFlight = 0;

  constructor(
    /** Runs items as one call; answers one result per item, in order. */
    private readonly run: (items: T[]) => Promise<R[]>,
    private readonly opts: { maxInFlight: number; maxItems: number; rowError: RowError },
  ) {}

  add(items: T[]): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.opts.maxInFlight && this.waiting.length) {
      const group: Waiting<T, R>[] = [this.waiting.shift()!];
      let n = group[0].items.length;
      while (this.waiting.length && n + this.waiting[0].items.length <= this.opts.maxItems) {
        n += this.waiting[0].items.length;
        group.push(this.waiting.shift()!);
      }
      this.inFlight++;
      void this.flush(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async flush(group: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.run(group.length === 1 ? group[0].items : group.flatMap((g) => g.items));
      let at = 0;
      for (const g of group) {
        g.resolve(results.slice(at, at + g.items.length));
        at += g.items.length;
      }
    } catch (err) {
      // One caller's bad row must not fail the others: the statement wrote nothing, so each goes
      // again alone. Any other failure (the connection, the server) is every caller's, as it
      // would have been alone; retrying could write twice what a lost answer already committed.
      if (group.length === 1 || !this.opts.rowError(err)) {
        for (const g of group) g.reject(err);
        return;
      }
      for (const g of group) await this.run(g.items).then(g.resolve, g.reject);
    }
  }
}
