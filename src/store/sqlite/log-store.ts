// SQLite's delivery queue as an event log (docs/event-log.md). A publish writes each event once
// with the webhooks it targets (table `log`, ordered by seq) and no job rows; the worker's claims
// read the log after a read position kept in memory (log-book.ts) and hand out one job per
// target; an attempt writes one row that carries its job's state (attempts.job_status) when the
// job has no row of its own. Only the jobs that leave the log's order get a jobs row, and from
// then on they are claimed and completed exactly as before (sql-queue.ts): a retry, a replay from
// the dead-letter queue, the held-back jobs of a slow webhook, test sends, validations, resends.
//
// Bench (2026-12-05, npm run bench -- --only=sqlite --phases=throughput,fanout, four pairs
// alternated with HOOKRELAY_SQLITE_QUEUE=jobs, bench/results/2026-12-05-sqlite-log-vs-jobs.txt):
// throughput 0.320 -> 0.344 x the limit (service CPU per delivery 224 -> 193 us), fan-out
// 5,600-7,351 -> 8,524-9,876 deliveries/s. (The prototype without idempotency, attachments,
// exceptions and reader lease, bench/log-shape.mjs: 0.33-0.36 -> 0.41 x.)
//
// One process reads the log at a time (a lease on log_cursor): SQLite is one `serve` per file,
// and a second one started by mistake takes the log over instead of delivering it twice over.
import crypto from 'node:crypto';
import { eventJobId, newJob } from '../../domain/jobs.ts';
import type { Db } from '../db.ts';
import {
  ATTEMPT_ONE, JOB_COLUMNS, TRANSITION_ONE, attemptParams, jobParams, transitionOne,
} from '../sql-queue.ts';
import type { ClaimRequest, Completion, JobQuery, JobRow, PublishItem } from '../types.ts';
import { SqliteStore } from './index.ts';
import { LogBook, type LogJob } from './log-book.ts';

/**
 * Jobs read from the log and not handed out (their webhook full, or more targets than the claim
 * asked for) that the book keeps in memory. At this many the log is read on only to reach another
 * webhook's jobs, the full webhooks' held jobs then written as jobs rows (see readLog).
 */
const READY_CAP = 4096;

/**
 * How long held-back jobs of full webhooks may fill the reader's memory before they are written
 * out to the jobs table so that the log can be read on (see readLog): a slow or failing webhook
 * delays the others' jobs published after its backlog by up to this much, once.
 */
const HOLD_MS = 5000;

/**
 * Log rows after a seq, without their events: an event's payload is read once, for the jobs a
 * claim hands out (claimWithEvents), not for those it only reads ahead (a full webhook's, a big
 * fan-out's). Bench (2026-12-05, bench:split, 50,000 events to one webhook): with the events
 * joined, claims behind a full webhook read up to 4,096 payloads to keep none of them.
 */
const READ_LOG = 'SELECT seq, event_id, org_id, event_type, created_at, targets FROM log WHERE seq > ? ORDER BY seq LIMIT ?';

/**
 * Log rows at or below the cursor are of no further use (every job there has its state in an
 * attempt or a jobs row; seqs are never handed out again, see migration 004): they are deleted,
 * this many seqs at a time, in the transaction that moves the cursor past them. A fan-out to 100
 * webhooks keeps ~4 KB of webhook ids per event otherwise, for good.
 */
const TRIM_EVERY = 4096;

const INSERT_JOB = `INSERT INTO jobs (${JOB_COLUMNS}) VALUES (${Array(16).fill('?').join(', ')})`;

const ATTEMPT_STATE_ONE = `INSERT INTO attempts (id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, error, response_body, request_headers,
    job_status, job_kind, event_type, detail, job_created_at) VALUES (${Array(18).fill('?').join(', ')})`;

/**
 * Every job as one relation: jobs rows, attempts holding their job's state, and the log's jobs
 * not attempted yet (above the cursor, with neither). With `byOrg`, of the org given three times
 * as its parameters. (Also read by the tests' probe of a SQLite file, either layout.)
 */
export function jobsRelation(byOrg: boolean): string {
  const org = (col: string) => (byOrg ? `AND ${col} = ?` : '');
  return `
  SELECT ${JOB_COLUMNS} FROM jobs WHERE 1 = 1 ${org('org_id')}
  UNION ALL
  SELECT job_id, job_kind, event_id, event_type, webhook_id, org_id, job_status, attempt_no, 0, job_created_at, NULL, NULL, detail, status_code, job_created_at, started_at + duration_ms
    FROM attempts WHERE job_status IS NOT NULL ${org('org_id')}
  UNION ALL
  SELECT l.event_id || '.' || t.key, 'event', l.event_id, l.event_type, t.value, l.org_id, 'PENDING', 0, 0, l.created_at, NULL, NULL, NULL, NULL, l.created_at, l.created_at
    FROM log l, json_each(l.targets) t
    WHERE l.seq > (SELECT seq FROM log_cursor WHERE id = 1) ${org('l.org_id')} AND t.type = 'text'
      AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = l.event_id || '.' || t.key AND a.job_status IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = l.event_id || '.' || t.key)`;
}
const JOBS_UNION = jobsRelation(true);
const ALL_JOBS = jobsRelation(false);

function logJob(seq: number, eventId: string, index: number, webhookId: string, e: { type: string; orgId: number; createdAt: number }): LogJob {
  return { id: eventJobId(eventId, index), seq, eventId, eventType: e.type, webhookId, orgId: e.orgId, createdAt: e.createdAt };
}

/**
 * An item's targets for the log, and its jobs leased by the publish. A given job is the log's when
 * it is the event's plain first delivery (its id derived from its place, PENDING, nothing tried);
 * any other (a test send, a row with its own id or state) goes to `rows`, its place left empty.
 */
function logTargets(item: PublishItem, rows: JobRow[]): { targets: (string | null)[]; leased: [number, JobRow][] } {
  const e = item.event;
  const targets: (string | null)[] = [];
  const leased: [number, JobRow][] = [];
  item.jobs.forEach((j, i) => {
    if (j.kind === 'event' && j.id === eventJobId(e.id, i) && j.status === 'PENDING' && j.tryCount === 0 && j.nextAttemptAt <= e.createdAt) {
      targets.push(j.webhookId);
      if (j.leaseOwner) leased.push([i, j]);
    } else {
      targets.push(null);
      rows.push(j);
    }
  });
  const f = item.fanout;
  if (f?.webhookIds.length) {
    if (f.kind === 'event') targets.push(...f.webhookIds);
    else {
      let index = item.jobs.length;
      for (const w of f.webhookIds) rows.push(newJob(f.kind, e, w, e.createdAt, eventJobId(e.id, index++)));
    }
  }
  return { targets, leased };
}

/** A log job as the worker takes it: PENDING, first attempt, leased. */
function jobRow(j: LogJob, owner: string | null, leaseUntil: number | null): JobRow {
  const row = newJob('event', { id: j.eventId, type: j.eventType, orgId: j.orgId }, j.webhookId, j.createdAt, j.id);
  row.leaseOwner = owner;
  row.leaseUntil = leaseUntil;
  return row;
}

export class SqliteLogStore extends SqliteStore {
  /** This store's name as the log's reader (log_cursor.owner). */
  private readonly readerId = `r-${crypto.randomUUID()}`;
  private book: LogBook | null = null;
  /** Whether this store holds the reader's lease, and until when it wrote it. */
  private reading = false;
  private readerUntil = 0;
  /** Whether this store ever read the log: its first claim takes the log over (see readerLease). */
  private started = false;
  /** The log's rows are deleted up to here (see TRIM_EVERY); 0 at start: the first trim takes all below the cursor. */
  private trimmedTo = 0;
  /** Targets per event in the last read of the log (how many events a claim reads). */
  private perEvent = 1;
  /** Up to this seq the log was read by a reader before: jobs there may have their state written. */
  private recoverUntil = 0;

  /** The log's reads one at a time: two claims at once would both read after the same seq. */
  private reads: Promise<unknown> = Promise.resolve();

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.reads.then(fn, fn);
    this.reads = run.catch(() => undefined);
    return run;
  }

  private async getBook(): Promise<LogBook> {
    if (!this.book) {
      const row = await this.db.get<{ seq: number }>('SELECT seq FROM log_cursor WHERE id = 1');
      this.book ??= new LogBook(Number(row?.seq ?? 0));
    }
    return this.book;
  }

  /** Per item of a publish under way, the ids of the jobs it leased to its worker (see logItem). */
  private readonly reservedOf = new WeakMap<PublishItem, string[]>();

  override async publishEvents(items: PublishItem[], idempotencyTtlMs: number): Promise<{ eventId: string; created: boolean }[]> {
    const book = await this.getBook();
    const reserved: string[] = [];
    for (const item of items) this.reservedOf.set(item, reserved);
    try {
      return await super.publishEvents(items, idempotencyTtlMs);
    } catch (err) {
      book.unreserve(reserved);
      throw err;
    } finally {
      for (const item of items) this.reservedOf.delete(item);
    }
  }

  /**
   * The log instead of job rows; rows only for the jobs that are not the log's (see logTargets).
   * One statement run per row (Db.runEach) for the whole batch: the seqs of a transaction's rows
   * follow each other (one writer, AUTOINCREMENT takes the next), so the last one gives them all.
   * Bench (2026-12-05, bench:split, 50,000 events): an INSERT ... RETURNING awaited per event cost
   * the storage thread ~10 us per accepted event more than today's job rows.
   */
  protected override async writeJobs(db: Db, fresh: PublishItem[]): Promise<void> {
    const rows: JobRow[] = [];
    const logged: { item: PublishItem; leased: [number, JobRow][] }[] = [];
    const params: unknown[][] = [];
    for (const item of fresh) {
      const e = item.event;
      const { targets, leased } = logTargets(item, rows);
      if (!targets.some((t) => t !== null)) continue;
      logged.push({ item, leased });
      params.push([e.id, e.orgId, e.type, e.createdAt, JSON.stringify(targets)]);
    }
    if (params.length) {
      await db.runEach('INSERT INTO log (event_id, org_id, event_type, created_at, targets) VALUES (?, ?, ?, ?, ?)', params);
      const last = Number((await db.get<{ seq: number }>('SELECT last_insert_rowid() AS seq'))!.seq);
      const book = this.book!;
      logged.forEach(({ item, leased }, k) => {
        const seq = last - logged.length + 1 + k;
        // Leased to this process's worker by the publish (Worker.reserve): in the book before the
        // commit, so no claim can read them from the log meanwhile (a transaction run again by
        // its group commit books them again, the same).
        for (const [i, j] of leased) {
          book.reserve(logJob(seq, item.event.id, i, j.webhookId, item.event), j.leaseOwner!, j.leaseUntil ?? 0);
          this.reservedOf.get(item)?.push(j.id);
        }
      });
    }
    await this.insert(db, 'jobs', JOB_COLUMNS, rows, jobParams);
  }

  /**
   * Jobs rows first (retries, replays, held-back jobs: all older than the log's), then the log.
   * (claimWithEvents, as for jobs rows, reads the events of them all in one go.)
   */
  override async claimDue(req: ClaimRequest): Promise<JobRow[]> {
    const table = await super.claimDue(req);
    const left = req.limit - table.length;
    if (left <= 0) return table;
    const log = await this.serially(async () => ((await this.readerLease(req.now, req.leaseMs)) ? this.readLog(req, left) : []));
    return [...table, ...log];
  }

  /**
   * Holds the log's reader lease, or takes it: when free, when it lapsed, and on this store's
   * first claim (a process started again after a crash reads at once rather than after its dead
   * self's lease runs out). False while another process reads.
   */
  private async readerLease(now: number, leaseMs: number): Promise<boolean> {
    if (this.reading && now < this.readerUntil - leaseMs / 2) {
      // Still ours unless another process took the log over (see above): a read, not a write.
      const row = await this.db.leases.get<{ owner: string | null }>('SELECT owner FROM log_cursor WHERE id = 1');
      if (row?.owner === this.readerId) return true;
      this.lostLease();
      return false;
    }
    const book = await this.getBook();
    const row = await this.db.leases.get<{ seq: number; top: number }>(
      `UPDATE log_cursor SET owner = ?, lease_until = ? WHERE id = 1 AND (owner IS NULL OR owner = ? OR lease_until < ? OR ?)
       RETURNING seq, (SELECT COALESCE(MAX(seq), 0) FROM log) AS top`,
      [this.readerId, now + leaseMs, this.readerId, now, this.started ? 0 : 1],
    );
    this.started = true;
    if (!row) {
      if (this.reading) this.lostLease();
      return false;
    }
    if (!this.reading) {
      book.start(Number(row.seq));
      this.recoverUntil = Number(row.top);
      this.reading = true;
    }
    this.readerUntil = now + leaseMs;
    return true;
  }

  private lostLease(): void {
    this.reading = false;
    this.book?.reset(this.book.cursor);
  }

  /** Up to `limit` jobs of the log for the claim. */
  private async readLog(req: ClaimRequest, limit: number): Promise<JobRow[]> {
    const book = this.book!;
    const exclude = new Set(req.excludeWebhookIds);
    const leaseUntil = req.now + req.leaseMs;
    book.expire(req.now);
    const hands = book.takeWaiting(limit, exclude, req.owner, leaseUntil);
    const spill: LogJob[] = [];
    while (hands.length < limit) {
      const full = book.waiting >= READY_CAP;
      // As many events as the claim has room for, at the targets per event of the last read.
      const want = Math.min(1000, Math.max(1, Math.ceil((limit - hands.length) / this.perEvent)));
      const rows = await this.db.leases.rows(READ_LOG, [book.readSeq, want]);
      if (!rows.length) break;
      const parsed = rows.map((r) => ({
        seq: Number(r[0]),
        event: { id: r[1] as string, orgId: Number(r[2]), type: r[3] as string, createdAt: Number(r[4]) },
        targets: JSON.parse(r[5] as string) as (string | null)[],
      }));
      this.perEvent = Math.max(1, parsed.reduce((n, p) => n + p.targets.length, 0) / parsed.length);
      if (full) {
        // The memory is full of the jobs of full webhooks. Reading on is worth it when someone
        // else has a job ahead, or when those have waited so long that their webhooks are slow
        // rather than busy (someone may then be waiting further on): their held jobs go to the
        // jobs table to make room. One webhook's backlog delivered at its pace is neither.
        const othersAhead = parsed.some((p) => p.targets.some((w) => w !== null && !exclude.has(w)));
        const since = book.heldSince(exclude);
        if (!othersAhead && (since === null || req.now - since < HOLD_MS)) break;
        const held = book.takeHeldBack(exclude);
        book.pin(held.map((j) => j.seq));
        spill.push(...held);
      }
      const done = parsed[0].seq <= this.recoverUntil ? await this.stateWritten(parsed) : null;
      for (const { seq, targets, event } of parsed) {
        // The claim is full: the rest is read again by the next one.
        if (hands.length >= limit) break;
        targets.forEach((w, i) => {
          if (w === null) return;
          const job = logJob(seq, event.id, i, w, event);
          // (Out with a worker of ours already: a reserved job read after this process took the
          // log back from another, see lostLease.)
          if (book.skipReserved(job.id) || book.holder(job.id) || done?.has(job.id)) return;
          if (hands.length < limit && !exclude.has(w)) {
            book.hand(job, req.owner, leaseUntil);
            hands.push(job);
          } else if (exclude.has(w) && book.waiting >= READY_CAP) {
            book.pin([job.seq]);
            spill.push(job);
          } else book.wait(job, req.now);
        });
        book.readSeq = seq;
      }
    }
    if (spill.length) {
      // Out of the log's order: jobs rows, due at their event's time, claimed as any other.
      const seqs = spill.map((j) => j.seq);
      try {
        await this.db.leases.tx((db) => db.runEach(`${INSERT_JOB} ON CONFLICT (id) DO NOTHING`, spill.map((j) => jobParams(jobRow(j, null, null)))));
      } catch (err) {
        for (const j of spill) book.wait(j, req.now);
        throw err;
      } finally {
        book.unpin(seqs);
      }
    }
    return hands.map((j) => jobRow(j, req.owner, leaseUntil));
  }

  /** Of these rows' jobs, those whose state an earlier reader already wrote (an attempt's state, or a jobs row). */
  private async stateWritten(rows: { seq: number; targets: (string | null)[]; event: { id: string } }[]): Promise<Set<string>> {
    const ids = JSON.stringify(rows.flatMap((r) => r.targets.map((w, i) => (w === null ? null : eventJobId(r.event.id, i))).filter((id) => id !== null)));
    const found = await this.db.leases.all<{ id: string }>(
      `SELECT job_id AS id FROM attempts WHERE job_status IS NOT NULL AND job_id IN (SELECT value FROM json_each(?))
       UNION ALL SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?))`,
      [ids, ids],
    );
    return new Set(found.map((r) => r.id));
  }

  override async completeAttempts(items: Completion[]): Promise<boolean[]> {
    if (!items.length) return [];
    const book = await this.getBook();
    const mine = items.map((c) => book.finish(c.attempt.jobId, c.owner));
    const recorded = new Set(mine.filter((h) => h !== null));
    const readerId = this.readerId;
    let cursor: number | null = null;
    let kept: boolean[];
    try {
      kept = await this.db.leases.tx(async (db) => {
        const states: unknown[][] = [];
        const retries: JobRow[] = [];
        const plain: Completion[] = [];
        items.forEach((c, i) => {
          const j = mine[i]?.job;
          if (!j) return plain.push(c);
          const { attempt: a, transition: t } = c;
          if (t.status === 'RETRY') {
            // Leaves the log: from now on a jobs row, retried like any other.
            states.push([...attemptParams(a), null, null, null, null, null]);
            retries.push({
              ...jobRow(j, null, null), status: 'RETRY', tryCount: a.attemptNo, nextAttemptAt: t.nextAttemptAt ?? j.createdAt, detail: t.detail,
              lastStatus: a.statusCode, updatedAt: a.startedAt + a.durationMs,
            });
          } else states.push([...attemptParams(a), t.status, 'event', j.eventType, t.detail, j.createdAt]);
        });
        if (states.length) await db.runEach(ATTEMPT_STATE_ONE, states);
        await this.insert(db, 'jobs', JOB_COLUMNS, retries, jobParams);
        let changed: number[] = [];
        if (plain.length) {
          await db.runEach(ATTEMPT_ONE, plain.map(({ attempt }) => attemptParams(attempt)));
          changed = await db.runEach(TRANSITION_ONE, plain.map(transitionOne));
        }
        cursor = this.reading ? book.advance(recorded) : null;
        if (cursor !== null) {
          const moved = await db.run('UPDATE log_cursor SET seq = ? WHERE id = 1 AND owner = ?', [cursor, readerId]);
          if (!moved.changes) cursor = -1;
          else if (cursor - this.trimmedTo >= TRIM_EVERY) await db.run('DELETE FROM log WHERE seq <= ?', [cursor]);
        }
        let p = 0;
        return items.map((_, i) => (mine[i] ? true : changed[p++] > 0));
      });
    } catch (err) {
      // Not recorded: the jobs are still out with their workers (their leases run as before).
      for (const h of mine) if (h) book.unfinish(h);
      throw err;
    }
    book.forget([...recorded]);
    if (cursor === -1) this.lostLease();
    else if (cursor !== null) {
      book.cursor = cursor;
      if (cursor - this.trimmedTo >= TRIM_EVERY) this.trimmedTo = cursor;
    }
    return kept;
  }

  override async releaseLeases(owner: string, jobIds: string[]): Promise<void> {
    const rest = (await this.getBook()).release(jobIds, owner, Date.now());
    if (rest.length) await super.releaseLeases(owner, rest);
  }

  /** A pending log job's lease, which lives in the book only. */
  private withLease(j: JobRow): JobRow {
    const h = this.book?.holder(j.id);
    if (h) Object.assign(j, { leaseOwner: h.owner, leaseUntil: h.leaseUntil });
    return j;
  }

  protected override jobsOf(orgId: number | null): [sql: string, params: unknown[]] {
    return orgId === null ? [`(${ALL_JOBS}) AS j`, []] : [`(${JOBS_UNION}) AS j`, [orgId, orgId, orgId]];
  }

  override async findJob(orgId: number, id: string): Promise<JobRow | null> {
    const job = await super.findJob(orgId, id);
    return job && this.withLease(job);
  }

  override async searchJobs(q: JobQuery): Promise<{ rows: JobRow[]; total: number }> {
    const found = await super.searchJobs(q);
    found.rows.forEach((j) => this.withLease(j));
    return found;
  }

  override async requeueFailed(orgId: number, jobIds: string[], now: number): Promise<string[]> {
    const table = await super.requeueFailed(orgId, jobIds, now);
    const rest = JSON.stringify(jobIds.filter((id) => !table.includes(id)));
    // A log job that failed at its first attempt has no row: it gets one, PENDING with a fresh budget.
    const log = await this.db.tx(async (db) => {
      const made = await db.all<{ id: string }>(
        `INSERT INTO jobs (${JOB_COLUMNS})
           SELECT job_id, job_kind, event_id, event_type, webhook_id, org_id, 'PENDING', attempt_no, attempt_no, ?, NULL, NULL, detail, status_code, job_created_at, ?
           FROM attempts WHERE org_id = ? AND job_status = 'FAILED' AND job_id IN (SELECT value FROM json_each(?))
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [now, now, orgId, rest],
      );
      if (made.length) await db.run('UPDATE attempts SET job_status = NULL WHERE job_status IS NOT NULL AND job_id IN (SELECT value FROM json_each(?))', [JSON.stringify(made.map((r) => r.id))]);
      return made.map((r) => r.id);
    });
    return [...table, ...log];
  }

}

/** A SQLite store with the queue laid out as asked. */
export function openSqlite(file: string, queue: 'log' | 'jobs'): SqliteStore {
  return queue === 'log' ? new SqliteLogStore(file) : new SqliteStore(file);
}
