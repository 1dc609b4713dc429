// The delivery queue as an event log (docs/event-log.md), for both engines. A publish writes each
// event once with the webhooks it targets (table `log`, ordered by seq) and no job rows; the
// worker's claims read the log after a read position kept in memory (log-book.ts) and hand out one
// job per target; an attempt writes one row that carries its job's state (attempts.job_status)
// when the job has no row of its own. Only the jobs that leave the log's order get a jobs row, and
// from then on they are claimed and completed exactly as before (sql-queue.ts): a retry, a replay
// from the dead-letter queue, the held-back jobs of a slow webhook, test sends, validations,
// resends.
//
// The log is cut into lanes by webhook (laneOf), each read by one process at a time, which holds
// it (the engine's holdLanes) and keeps its book: SQLite has one lane (one `serve` per file), and
// PostgreSQL several, shared out among the processes reading (postgres/log-store.ts). A lane's
// cursor (every seq at or below it is done) is the one durable part of the reading.
import crypto from 'node:crypto';
import { eventJobId, newJob } from '../domain/jobs.ts';
import type { Db } from './db.ts';
import { LogBook, type Handed, type LogJob } from './log-book.ts';
import { JOB_COLUMNS, attemptParams, jobParams, type LogColumns } from './sql-queue.ts';
import type { SqlStore } from './sql-store.ts';
import type { ClaimRequest, Completion, JobQuery, JobRow, JobStatus, PublishItem } from './types.ts';

/**
 * Jobs read from a lane and not handed out (their webhook full, or more targets than the claim
 * asked for) that its book keeps in memory. At this many the lane is read on only to reach another
 * webhook's jobs, the full webhooks' held jobs then written as jobs rows (see takeRows).
 */
const READY_CAP = 4096;

/**
 * How long held-back jobs of full webhooks may fill the reader's memory before they are written
 * out to the jobs table so that the log can be read on (see takeRows): a slow or failing webhook
 * delays the others' jobs published after its backlog by up to this much, once.
 */
const HOLD_MS = 5000;

/**
 * Log rows at or below a lane's cursor are of no further use (every job there has its state in an
 * attempt or a jobs row; seqs are never handed out again): they are deleted, this many seqs at a
 * time, in the transaction that moves the cursor past them. A fan-out to 100 webhooks keeps ~4 KB
 * of webhook ids per event otherwise, for good.
 */
const TRIM_EVERY = 4096;

/** A row of the log as a claim reads it: an event, without its payload, and its targets. */
export interface LogRead {
  seq: number;
  event: { id: string; orgId: number; type: string; createdAt: number };
  /** Webhook ids by place among the event's targets; null where the job is not this row's. */
  targets: (string | null)[];
}

/** A log row to write: an event's targets in one lane (the others' places null). */
export interface LogEntry {
  lane: number;
  item: PublishItem;
  targets: (string | null)[];
  /** The jobs of this row that the publish leased to its worker, booked with seq 0 until written. */
  reserved: LogJob[];
}

/** A lane's cursor to write with attempt records. */
export interface CursorMove {
  lane: number;
  seq: number;
  /** Delete the lane's rows up to seq (see TRIM_EVERY). */
  trim: boolean;
}

/** What this process knows of one lane of the log. */
export interface Lane {
  readonly id: number;
  readonly book: LogBook;
  /** Whether this process holds the lane: reads it and moves its cursor. */
  reading: boolean;
  /** Being given up (a process joined): not read, released once its jobs out are recorded, or after a lease. */
  drainingSince: number | null;
  /** The lane's rows are deleted up to here (see TRIM_EVERY); 0 at start: the first trim takes all below the cursor. */
  trimmedTo: number;
  /** Targets per row in the last read of the lane (how many rows a claim reads). */
  perEvent: number;
  /** Up to this seq the lane was read by a reader before: jobs there may have their state written. */
  recoverUntil: number;
}

/** Whether this process reads the lane now: holds it and is not giving it up. */
export const readable = (lane: Lane | undefined): lane is Lane => !!lane?.reading && lane.drainingSince === null;

/** A log job as a row, of the first attempt. */
function logJob(seq: number, eventId: string, index: number, webhookId: string, e: { type: string; orgId: number; createdAt: number }): LogJob {
  return { id: eventJobId(eventId, index), seq, eventId, eventType: e.type, webhookId, orgId: e.orgId, createdAt: e.createdAt };
}

/** A log job as the worker takes it: PENDING, first attempt, leased. */
function jobRow(j: LogJob, owner: string | null, leaseUntil: number | null): JobRow {
  const row = newJob('event', { id: j.eventId, type: j.eventType, orgId: j.orgId }, j.webhookId, j.createdAt, j.id);
  row.leaseOwner = owner;
  row.leaseUntil = leaseUntil;
  return row;
}

/** Whether a given job is the log's: the event's plain first delivery (its id derived from its place, PENDING, nothing tried). */
function plainFirst(item: PublishItem, j: JobRow, i: number): boolean {
  const e = item.event;
  return j.kind === 'event' && j.id === eventJobId(e.id, i) && j.status === 'PENDING' && j.tryCount === 0 && j.nextAttemptAt <= e.createdAt;
}

/** Log rows as PostgreSQL's one-statement publish takes them (LogColumns). */
export function logColumns(entries: LogEntry[]): LogColumns {
  const columns: unknown[][] = [[], [], [], [], [], []];
  for (const { lane, item: { event: e }, targets } of entries) {
    columns[0].push(lane);
    columns[1].push(e.id);
    columns[2].push(e.orgId);
    columns[3].push(e.type);
    columns[4].push(e.createdAt);
    columns[5].push(JSON.stringify(targets));
  }
  const lanes = [...new Set(entries.map((x) => x.lane))].sort((a, b) => a - b);
  return { columns, lanes };
}

/**
 * A job whose state is its attempt (attempts.job_status), as a row with JOB_COLUMNS' names. (The
 * NULLs are typed: PostgreSQL types an untyped NULL of a subquery as text, and a page's streams
 * are subqueries, see jobStreams.)
 */
const ATTEMPT_AS_JOB = `SELECT job_id AS id, job_kind AS kind, event_id, event_type, webhook_id, org_id, job_status AS status,
    attempt_no AS try_count, 0 AS budget_start, job_created_at AS next_attempt_at, CAST(NULL AS TEXT) AS lease_owner,
    CAST(NULL AS BIGINT) AS lease_until, detail, status_code AS last_status, job_created_at AS created_at, started_at + duration_ms AS updated_at
  FROM attempts`;

/**
 * Every job as one relation: jobs rows, attempts holding their job's state, and `waiting`, the
 * engine's log jobs not attempted yet. With `byOrg`, of the org given three times as its
 * parameters (`waiting` takes it last).
 */
export function jobsRelationOf(byOrg: boolean, waiting: string): string {
  const org = byOrg ? 'AND org_id = ?' : '';
  return `SELECT ${JOB_COLUMNS} FROM jobs WHERE 1 = 1 ${org}
  UNION ALL ${ATTEMPT_AS_JOB} WHERE job_status IS NOT NULL ${org}
  UNION ALL ${waiting}`;
}

type StoreClass = abstract new (...args: any[]) => SqlStore;

/** An engine's store with its delivery queue as the event log; the engine supplies the abstract parts. */
export function withEventLog<B extends StoreClass>(Base: B) {
  abstract class EventLogStore extends Base {
    /** This store's name as a lane's reader (log_cursor.owner). */
    protected readonly readerId = `r-${crypto.randomUUID()}`;
    /** Every lane this process has held, held now or not (a lost lane's jobs out are still recorded through its book). */
    protected readonly lanes = new Map<number, Lane>();

    /** The lane of a webhook's jobs. */
    protected abstract laneOf(webhookId: string): number;
    /** Takes, keeps or gives up lanes (with laneStarted, laneLost) before a claim reads them. */
    protected abstract holdLanes(now: number, leaseMs: number): Promise<void>;
    /** Writes log rows in a publish's transaction; answers their seqs, in order. */
    protected abstract insertLog(db: Db, entries: LogEntry[]): Promise<number[]>;
    /** Up to `want` rows after `after` of each lane given, by lane, in seq order. */
    protected abstract readLanes(reads: { lane: number; after: number; want: number }[]): Promise<Map<number, LogRead[]>>;
    /**
     * Records attempts of the log's jobs: the attempt rows with their job's state (ATTEMPT_STATE_COLUMNS
     * order), the jobs rows of those to retry, and the cursors moved where this process still owns
     * them, all or none; `trim`: the lane's rows up to its cursor are deleted (see TRIM_EVERY).
     * Answers the lanes whose cursor moved.
     */
    protected abstract writeOutcomes(states: unknown[][], retries: JobRow[], moves: CursorMove[]): Promise<Set<number>>;
    /**
     * The log's jobs not attempted yet (above their lane's cursor, with neither an attempt holding
     * their state nor a jobs row) as rows with JOB_COLUMNS' names (and typed NULLs, see
     * ATTEMPT_AS_JOB); byOrg: of the org given as its one parameter.
     */
    protected abstract waitingJobs(byOrg: boolean): string;

    /** The log's reads one at a time: two claims at once would both read after the same seq. */
    private reads: Promise<unknown> = Promise.resolve();
    /** Per item of a publish under way, the jobs it leased to its worker (see planLog). */
    private readonly reservedOf = new WeakMap<PublishItem, [Lane, string][]>();

    private serially<T>(fn: () => Promise<T>): Promise<T> {
      const run = this.reads.then(fn, fn);
      this.reads = run.catch(() => undefined);
      return run;
    }

    /** This process now holds the lane, whose cursor is at `cursor` and whose highest seq is `top`. */
    protected laneStarted(id: number, cursor: number, top: number): Lane {
      let lane = this.lanes.get(id);
      if (!lane) {
        lane = { id, book: new LogBook(cursor), reading: false, drainingSince: null, trimmedTo: 0, perEvent: 1, recoverUntil: 0 };
        this.lanes.set(id, lane);
      }
      lane.book.start(cursor);
      lane.recoverUntil = top;
      lane.reading = true;
      lane.drainingSince = null;
      return lane;
    }

    /** Another process reads the lane now (or will): only the jobs out with our workers stay ours. */
    protected laneLost(id: number): void {
      const lane = this.lanes.get(id);
      if (!lane) return;
      lane.reading = false;
      lane.drainingSince = null;
      lane.book.reset(lane.book.cursor);
    }


    override async publishEvents(items: PublishItem[], idempotencyTtlMs: number): Promise<{ eventId: string; created: boolean }[]> {
      const reserved: [Lane, string][] = [];
      for (const item of items) this.reservedOf.set(item, reserved);
      try {
        return await super.publishEvents(items, idempotencyTtlMs);
      } catch (err) {
        for (const [lane, id] of reserved) lane.book.unreserve([id]);
        throw err;
      } finally {
        for (const item of items) this.reservedOf.delete(item);
      }
    }

    /**
     * The log rows of newly published items, and the job rows of the jobs that are not the log's
     * (a test send, a row with its own id or state: its place in the log left null). A job the
     * publish leased to this process's worker (Worker.reserve) is booked in its lane at once, so
     * no claim can read it from the log meanwhile; if this process does not hold that lane, the
     * job is a leased jobs row instead, as with a jobs row per delivery.
     */
    protected planLog(fresh: PublishItem[]): { entries: LogEntry[]; rows: JobRow[] } {
      const entries: LogEntry[] = [];
      const rows: JobRow[] = [];
      for (const item of fresh) {
        const e = item.event;
        const byLane = new Map<number, LogEntry>();
        const total = item.jobs.length + (item.fanout?.kind === 'event' ? item.fanout.webhookIds.length : 0);
        const place = (i: number, webhookId: string) => {
          const lane = this.laneOf(webhookId);
          let entry = byLane.get(lane);
          if (!entry) byLane.set(lane, (entry = { lane, item, targets: new Array(total).fill(null), reserved: [] }));
          entry.targets[i] = webhookId;
          return entry;
        };
        item.jobs.forEach((j, i) => {
          if (!plainFirst(item, j, i)) return rows.push(j);
          if (!j.leaseOwner) return place(i, j.webhookId);
          const lane = this.lanes.get(this.laneOf(j.webhookId));
          if (!readable(lane)) return rows.push(j);
          const job = logJob(0, e.id, i, j.webhookId, e);
          lane.book.reserve(job, j.leaseOwner, j.leaseUntil ?? 0);
          this.reservedOf.get(item)?.push([lane, job.id]);
          place(i, j.webhookId).reserved.push(job);
        });
        const f = item.fanout;
        if (f?.webhookIds.length) {
          let index = item.jobs.length;
          for (const w of f.webhookIds) {
            if (f.kind === 'event') place(index++, w);
            else rows.push(newJob(f.kind, e, w, e.createdAt, eventJobId(e.id, index++)));
          }
        }
        for (const entry of byLane.values()) {
          // Trailing places of other lanes need not be stored.
          let n = entry.targets.length;
          while (n > 0 && entry.targets[n - 1] === null) n--;
          entry.targets.length = n;
          entries.push(entry);
        }
      }
      return { entries, rows };
    }

    /** The seqs of written log rows given to the jobs they reserved (see LogBook.reserve). */
    protected placed(entries: LogEntry[], seqs: number[]): void {
      entries.forEach((entry, k) => {
        for (const job of entry.reserved) job.seq = seqs[k];
      });
    }

    protected override async writeJobs(db: Db, fresh: PublishItem[]): Promise<void> {
      const { entries, rows } = this.planLog(fresh);
      if (entries.length) this.placed(entries, await this.insertLog(db, entries));
      await this.insert(db, 'jobs', JOB_COLUMNS, rows, jobParams);
    }

    /**
     * Jobs rows first (retries, replays, held-back jobs: all older than the log's), then the log.
     * (claimWithEvents, as for jobs rows, reads the events of them all in one go.)
     */
    override async claimDue(req: ClaimRequest): Promise<JobRow[]> {
      const table = await super.claimDue(req);
      const left = req.limit - table.length;
      // The lanes are looked after even when the jobs table fills the claim: a process busy with
      // retries still gives lanes up to a newcomer.
      const log = await this.serially(async () => {
        await this.holdLanes(req.now, req.leaseMs);
        return left > 0 ? this.readLog(req, left) : [];
      });
      return [...table, ...log];
    }

    /** Up to `limit` jobs of the lanes this process holds for the claim. */
    private async readLog(req: ClaimRequest, limit: number): Promise<JobRow[]> {
      const exclude = new Set(req.excludeWebhookIds);
      const leaseUntil = req.now + req.leaseMs;
      const lanes = [...this.lanes.values()].filter(readable);
      const hands: LogJob[] = [];
      for (const lane of lanes) {
        lane.book.expire(req.now);
        hands.push(...lane.book.takeWaiting(limit - hands.length, exclude, req.owner, leaseUntil));
      }
      const spill = new Map<Lane, LogJob[]>();
      let open = lanes;
      while (hands.length < limit && open.length) {
        // As many rows as the claim has room for, at the targets per row of the lane's last read.
        const want = (l: Lane) => Math.min(1000, Math.max(1, Math.ceil((limit - hands.length) / l.perEvent)));
        const read = await this.readLanes(open.map((l) => ({ lane: l.id, after: l.book.readSeq, want: want(l) })));
        const next: Lane[] = [];
        for (const lane of open) {
          const rows = read.get(lane.id);
          if (rows?.length && (await this.takeRows(lane, rows, req, exclude, hands, limit, spill))) next.push(lane);
        }
        open = next;
      }
      for (const [lane, jobs] of spill) {
        if (!jobs.length) continue;
        // Out of the log's order: jobs rows, due at their event's time, claimed as any other.
        const seqs = jobs.map((j) => j.seq);
        try {
          await this.db.leases.tx((db) => this.insertJobsIgnoring(db, jobs.map((j) => jobRow(j, null, null))));
        } catch (err) {
          for (const j of jobs) lane.book.wait(j, req.now);
          throw err;
        } finally {
          lane.book.unpin(seqs);
        }
      }
      return hands.map((j) => jobRow(j, req.owner, leaseUntil));
    }

    /** A lane's rows read for the claim: hands out, keeps or spills their jobs. False when the lane is not to be read on. */
    private async takeRows(lane: Lane, rows: LogRead[], req: ClaimRequest, exclude: Set<string>, hands: LogJob[], limit: number, spill: Map<Lane, LogJob[]>): Promise<boolean> {
      const book = lane.book;
      const leaseUntil = req.now + req.leaseMs;
      // (The lane's own targets: a fan-out's row holds null at the other lanes' places.)
      let targets = 0;
      for (const r of rows) for (const w of r.targets) if (w !== null) targets++;
      lane.perEvent = Math.max(1, targets / rows.length);
      let spilt = spill.get(lane);
      if (!spilt) spill.set(lane, (spilt = []));
      if (book.waiting >= READY_CAP) {
        // The memory is full of the jobs of full webhooks. Reading on is worth it when someone
        // else has a job ahead, or when those have waited so long that their webhooks are slow
        // rather than busy (someone may then be waiting further on): their held jobs go to the
        // jobs table to make room. One webhook's backlog delivered at its pace is neither.
        const othersAhead = rows.some((r) => r.targets.some((w) => w !== null && !exclude.has(w)));
        const since = book.heldSince(exclude);
        if (!othersAhead && (since === null || req.now - since < HOLD_MS)) return false;
        const held = book.takeHeldBack(exclude);
        book.pin(held.map((j) => j.seq));
        spilt.push(...held);
      }
      const done = rows[0].seq <= lane.recoverUntil ? await this.stateWritten(rows) : null;
      for (const { seq, targets, event } of rows) {
        // The claim is full: the rest is read again by the next one.
        if (hands.length >= limit) return false;
        targets.forEach((w, i) => {
          if (w === null) return;
          const job = logJob(seq, event.id, i, w, event);
          // (Out with a worker of ours already: a reserved job read after this process took the
          // lane back from another, see laneLost.)
          if (book.skipReserved(job.id) || book.holder(job.id) || done?.has(job.id)) return;
          if (hands.length < limit && !exclude.has(w)) {
            book.hand(job, req.owner, leaseUntil);
            hands.push(job);
          } else if (exclude.has(w) && book.waiting >= READY_CAP) {
            book.pin([job.seq]);
            spilt.push(job);
          } else book.wait(job, req.now);
        });
        book.readSeq = seq;
      }
      return true;
    }

    /** Of these rows' jobs, those whose state an earlier reader already wrote (an attempt's state, or a jobs row). */
    private async stateWritten(rows: LogRead[]): Promise<Set<string>> {
      const ids = rows.flatMap((r) => r.targets.map((w, i) => (w === null ? null : eventJobId(r.event.id, i))).filter((id) => id !== null));
      const [inIds, param] = this.idIn(ids);
      const found = await this.db.leases.all<{ id: string }>(
        `SELECT job_id AS id FROM attempts WHERE job_status IS NOT NULL AND job_id ${inIds} UNION ALL SELECT id FROM jobs WHERE id ${inIds}`,
        [param, param],
      );
      return new Set(found.map((r) => r.id));
    }

    override async completeAttempts(items: Completion[]): Promise<boolean[]> {
      if (!items.length) return [];
      // The log's jobs this process handed out: their lane's book has them.
      const mine = items.map((c) => {
        const lane = this.lanes.get(this.laneOf(c.attempt.webhookId));
        const h = lane?.book.finish(c.attempt.jobId, c.owner);
        return h ? { lane: lane!, h } : null;
      });
      const recorded = new Map<Lane, Set<Handed>>();
      for (const m of mine) if (m) recorded.set(m.lane, (recorded.get(m.lane) ?? new Set()).add(m.h));
      if (recorded.size) {
        const states: unknown[][] = [];
        const retries: JobRow[] = [];
        items.forEach((c, i) => {
          const j = mine[i]?.h.job;
          if (!j) return;
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
        // (advance only reads the book: the same answer if a group commit runs the write again.)
        const moves: CursorMove[] = [];
        for (const [lane, done] of recorded) {
          const seq = lane.reading ? lane.book.advance(done) : null;
          if (seq !== null) moves.push({ lane: lane.id, seq, trim: seq - lane.trimmedTo >= TRIM_EVERY });
        }
        let moved: Set<number>;
        try {
          moved = await this.writeOutcomes(states, retries, moves);
        } catch (err) {
          // Not recorded: the jobs are still out with their workers (their leases run as before).
          for (const m of mine) if (m) m.lane.book.unfinish(m.h);
          throw err;
        }
        for (const [lane, done] of recorded) lane.book.forget([...done]);
        for (const m of moves) {
          const lane = this.lanes.get(m.lane)!;
          if (!moved.has(m.lane)) this.laneLost(m.lane);
          else {
            lane.book.cursor = m.seq;
            if (m.trim) lane.trimmedTo = m.seq;
          }
        }
      }
      const plain = items.filter((_, i) => !mine[i]);
      const kept = plain.length ? await super.completeAttempts(plain) : [];
      let p = 0;
      return items.map((_, i) => (mine[i] ? true : kept[p++]));
    }

    override async releaseLeases(owner: string, jobIds: string[]): Promise<void> {
      let rest = jobIds;
      for (const lane of this.lanes.values()) rest = lane.book.release(rest, owner, Date.now());
      if (rest.length) await super.releaseLeases(owner, rest);
    }

    /** A pending log job's lease, which lives in its lane's book only. */
    private withLease(j: JobRow): JobRow {
      const h = this.lanes.get(this.laneOf(j.webhookId))?.book.holder(j.id);
      if (h) Object.assign(j, { leaseOwner: h.owner, leaseUntil: h.leaseUntil });
      return j;
    }

    protected override jobsOf(orgId: number | null): [sql: string, params: unknown[]] {
      const byOrg = orgId !== null;
      return [`(${jobsRelationOf(byOrg, this.waitingJobs(byOrg))}) AS j`, byOrg ? [orgId, orgId, orgId] : []];
    }

    /**
     * Besides the jobs rows' streams, the attempts holding their job's state, and the log's
     * waiting jobs (few: those not attempted yet). By state: one stream per state in (org_id,
     * job_status, updated_at) order (the attempts_job_state index, migrations 007/010). For given
     * jobs or events: their attempts by job id (attempts_job), or by event (eventAttempts);
     * `+org_id` keeps the planner off attempts_job_state, which it took for
     * this too and so walked all of the org's. Measured (2026-12-07, SQLite, a copy of
     * bench:history's database after 300,000 deliveries, listJobs): one job 99-108 ms -> 0.2-1.7,
     * one event's jobs 62-66 -> 0.3-0.8.
     */
    protected override jobStreams(q: JobQuery, states: JobStatus[] | null): [sql: string, params: unknown[]][] {
      const streams = super.jobStreams(q, states);
      if (!states) {
        const [which, params] = q.jobIds?.length ? [`job_id IN (${q.jobIds.map(() => '?').join(', ')})`, q.jobIds] : this.eventAttempts(q.eventIds ?? []);
        streams.push([`${ATTEMPT_AS_JOB} WHERE +org_id = ? AND job_status IS NOT NULL AND ${which}`, [q.orgId, ...params]]);
      } else {
        for (const s of states) if (s === 'SUCCESS' || s === 'FAILED') streams.push([`${ATTEMPT_AS_JOB} WHERE org_id = ? AND job_status = ?`, [q.orgId, s]]);
      }
      if (!states || states.includes('PENDING')) streams.push([this.waitingJobs(true), [q.orgId]]);
      return streams;
    }

    /**
     * The log's waiting jobs (waitingJobs: not attempted, no row of their own) created before
     * `before`, the oldest's creation. (Only the log rows that old are checked for an attempt or
     * a row: a backlog of new ones costs a pass over them, not a lookup each.)
     */
    protected override async oldestLogWaiting(before: number): Promise<number | null> {
      const r = await this.db.get<{ t: number | string | null }>(`SELECT MIN(created_at) AS t FROM (${this.waitingJobs(false)}) AS w WHERE created_at < ?`, [before]);
      return r?.t == null ? null : Number(r.t);
    }

    /**
     * The waiting jobs (waitingJobs), counted: a lookup of each target above the cursors. Log rows
     * whose jobs are all over can stay above a cursor until its lane's reader records more (an idle
     * lane's), so their rows alone are not the backlog. Measured (2026-12-08, SQLite, 100,000 waiting
     * jobs, 200,000 dead letters): queueStats 64-90 ms, read at most once per 10 s by the metrics.
     */
    protected override async logWaiting(): Promise<{ jobs: number; oldestAt: number | null }> {
      const r = await this.db.get<{ n: number | string; t: number | string | null }>(`SELECT COUNT(*) AS n, MIN(created_at) AS t FROM (${this.waitingJobs(false)}) AS w`);
      return { jobs: Number(r?.n ?? 0), oldestAt: r?.t == null ? null : Number(r.t) };
    }

    override async findJob(orgId: number, id: string): Promise<JobRow | null> {
      const job = await super.findJob(orgId, id);
      return job && this.withLease(job);
    }

    override async listJobs(q: JobQuery): Promise<JobRow[]> {
      return (await super.listJobs(q)).map((j) => this.withLease(j));
    }

    override async requeueFailed(orgId: number, jobIds: string[], now: number): Promise<string[]> {
      const table = await super.requeueFailed(orgId, jobIds, now);
      const rest = jobIds.filter((id) => !table.includes(id));
      if (!rest.length) return table;
      // A log job that failed at its first attempt has no row: it gets one, PENDING with a fresh budget.
      const [inRest, restParam] = this.idIn(rest);
      const log = await this.db.tx(async (db) => {
        const made = await db.all<{ id: string }>(
          `INSERT INTO jobs (${JOB_COLUMNS})
             SELECT job_id, job_kind, event_id, event_type, webhook_id, org_id, 'PENDING', attempt_no, attempt_no, ?, NULL, NULL, detail, status_code, job_created_at, ?
             FROM attempts WHERE org_id = ? AND job_status = 'FAILED' AND job_id ${inRest}
           ON CONFLICT (id) DO NOTHING RETURNING id`,
          [now, now, orgId, restParam],
        );
        if (made.length) {
          const [inMade, madeParam] = this.idIn(made.map((r) => r.id));
          await db.run(`UPDATE attempts SET job_status = NULL WHERE job_status IS NOT NULL AND job_id ${inMade}`, [madeParam]);
        }
        return made.map((r) => r.id);
      });
      return [...table, ...log];
    }
  }
  return EventLogStore;
}
