// What the reader of one lane of the event log keeps in memory (see event-log.ts): how far it has read,
// the jobs it handed out (leased to a worker of this process), the jobs it read and could not hand
// out yet, and the jobs a publish leased to its worker directly. Pure bookkeeping, no SQL: the
// store asks it what to hand out and what the cursor may say, and writes the answers.
//
// The cursor (every seq at or below it is done) is the one thing that is durable. Everything here
// is lost with the process, and that is safe: the next reader starts at the cursor again and
// skips the jobs that already have their state written (at least once, never lost).

/** A job of the log: the target at `index` of the event at `seq`. */
export interface LogJob {
  id: string;
  seq: number;
  eventId: string;
  eventType: string;
  webhookId: string;
  orgId: number;
  createdAt: number;
  /** When it began to wait (see LogBook.wait). */
  readyAt?: number;
}

export interface Handed {
  job: LogJob;
  owner: string;
  leaseUntil: number;
  /** Its attempt is being recorded: it still holds the cursor back until that commits (see forget). */
  recording?: boolean;
}

export class LogBook {
  /** The last seq read from the log. */
  readSeq: number;
  /** The cursor as last written: every seq at or below it is done. */
  cursor: number;
  /** Jobs out with a worker, by id. */
  private readonly handed = new Map<string, Handed>();
  /** Jobs read (or handed back) and waiting for a claim, per webhook, oldest first. */
  private readonly ready = new Map<string, LogJob[]>();
  private readyCount = 0;
  /**
   * Jobs a publish leased to its worker, not read from the log yet: the reader passes them by when
   * it meets them, whatever became of them meanwhile (done, out, or waiting after their lease ran
   * out or they were handed back: they are never handed out a second time from the log).
   */
  private readonly reserved = new Set<string>();
  private readonly pinned: number[] = [];

  constructor(cursor: number) {
    this.cursor = cursor;
    this.readSeq = cursor;
  }

  get waiting(): number {
    return this.readyCount;
  }

  /** Jobs out with a worker (or reserved by a publish, or being recorded). */
  get out(): number {
    return this.handed.size;
  }

  /**
   * A job a publish leased to `owner`, booked before its log row is written: its seq is 0 until
   * the publish sets it (the cursor cannot move meanwhile, see advance), so that no claim reading
   * the row before the publish has its answer hands the job out a second time.
   */
  reserve(job: LogJob, owner: string, leaseUntil: number): void {
    this.reserved.add(job.id);
    this.handed.set(job.id, { job, owner, leaseUntil });
  }

  /** The publish that reserved these jobs did not commit. */
  unreserve(ids: string[]): void {
    for (const id of ids) {
      if (this.reserved.delete(id)) this.handed.delete(id);
    }
  }

  /** Whether the reader, meeting this job in the log, must pass it by (its publish leased it). */
  skipReserved(id: string): boolean {
    return this.reserved.delete(id);
  }

  /** Jobs whose lease ran out (their worker lost them): waiting again, first in line. */
  expire(now: number): void {
    for (const [id, h] of this.handed) {
      if (h.leaseUntil >= now || h.recording) continue;
      this.handed.delete(id);
      this.wait(h.job, now, true);
    }
  }

  /** A job read (or handed back) but not handed out now, at `now`. */
  wait(job: LogJob, now: number, first = false): void {
    job.readyAt ??= now;
    const queue = this.ready.get(job.webhookId);
    if (!queue) this.ready.set(job.webhookId, [job]);
    else if (first) queue.unshift(job);
    else queue.push(job);
    this.readyCount++;
  }

  /** Up to `limit` waiting jobs of webhooks not excluded, handed to `owner`. */
  takeWaiting(limit: number, exclude: Set<string>, owner: string, leaseUntil: number): LogJob[] {
    const out: LogJob[] = [];
    for (const [webhookId, queue] of this.ready) {
      if (out.length >= limit) break;
      if (exclude.has(webhookId)) continue;
      const n = Math.min(queue.length, limit - out.length);
      for (const job of queue.splice(0, n)) {
        this.hand(job, owner, leaseUntil);
        out.push(job);
      }
      this.readyCount -= n;
      if (!queue.length) this.ready.delete(webhookId);
    }
    return out;
  }

  /** Removes and returns the waiting jobs of these webhooks (to be written as jobs rows). */
  takeHeldBack(webhookIds: Set<string>): LogJob[] {
    const out: LogJob[] = [];
    for (const id of webhookIds) {
      const queue = this.ready.get(id);
      if (!queue) continue;
      out.push(...queue);
      this.readyCount -= queue.length;
      this.ready.delete(id);
    }
    return out;
  }

  hand(job: LogJob, owner: string, leaseUntil: number): void {
    this.handed.set(job.id, { job, owner, leaseUntil });
  }

  /**
   * The job with its lease if `owner` holds it, now being recorded. It stays in the book, holding
   * the cursor back, until its record commits (forget) or fails (unfinish): a cursor written by
   * another transaction of the same moment must not pass a job whose state is not yet written.
   */
  finish(id: string, owner: string): Handed | null {
    const h = this.handed.get(id);
    if (!h || h.owner !== owner || h.recording) return null;
    h.recording = true;
    return h;
  }

  /** The record of these finished jobs committed: they are done. */
  forget(done: Handed[]): void {
    for (const h of done) if (this.handed.get(h.job.id) === h) this.handed.delete(h.job.id);
  }

  /** The record of a finished job failed: it is out with its worker again. */
  unfinish(h: Handed): void {
    h.recording = false;
  }

  /** Who holds a job out, if anyone. */
  holder(id: string): { owner: string; leaseUntil: number } | null {
    const h = this.handed.get(id);
    return h ? { owner: h.owner, leaseUntil: h.leaseUntil } : null;
  }

  /**
   * Jobs on their way to the jobs table (held back past the cap): the cursor stays below them
   * until their rows are committed.
   */
  pin(seqs: number[]): void {
    this.pinned.push(...seqs);
  }

  unpin(seqs: number[]): void {
    for (const seq of seqs) {
      const i = this.pinned.indexOf(seq);
      if (i >= 0) this.pinned.splice(i, 1);
    }
  }

  /** Since when the longest-waiting job of these webhooks waits, or null if none does. */
  heldSince(webhookIds: Set<string>): number | null {
    let since: number | null = null;
    for (const id of webhookIds) {
      for (const j of this.ready.get(id) ?? []) if (since === null || j.readyAt! < since) since = j.readyAt!;
    }
    return since;
  }

  /** Handed back unattempted: waiting again, first in line. */
  release(ids: string[], owner: string, now: number): string[] {
    const rest: string[] = [];
    for (const id of ids) {
      const h = this.handed.get(id);
      if (!h || h.owner !== owner || h.recording) {
        rest.push(id);
        continue;
      }
      this.handed.delete(id);
      this.wait(h.job, now, true);
    }
    return rest;
  }

  /**
   * The cursor the book allows (below every job still out, waiting, reserved or being recorded,
   * but for those `recorded` by the transaction that writes it), if it moved.
   */
  advance(recorded: Set<Handed>): number | null {
    let low = this.readSeq + 1;
    for (const h of this.handed.values()) if (h.job.seq < low && !recorded.has(h)) low = h.job.seq;
    for (const queue of this.ready.values()) for (const j of queue) if (j.seq < low) low = j.seq;
    for (const seq of this.pinned) if (seq < low) low = seq;
    if (low - 1 <= this.cursor) return null;
    return low - 1;
  }

  /** This process became the log's reader: it reads again from the cursor. */
  start(cursor: number): void {
    this.cursor = cursor;
    this.readSeq = cursor;
  }

  /** Another reader took the log over: only the jobs out with our workers stay ours. */
  reset(cursor: number): void {
    this.cursor = cursor;
    this.readSeq = cursor;
    this.ready.clear();
    this.readyCount = 0;
    this.reserved.clear();
  }
}
