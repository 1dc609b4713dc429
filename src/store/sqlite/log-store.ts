// SQLite's delivery queue as an event log (docs/event-log.md; the reading is event-log.ts). A
// publish writes each event once with the webhooks it targets (table `log`, ordered by seq) and no
// job rows; an attempt writes one row that carries its job's state when the job has no row of
// its own; retries, replays, held-back jobs, test sends, validations and resends are jobs rows.
//
// Bench (2026-12-05, npm run bench -- --only=sqlite --phases=throughput,fanout, four pairs
// alternated with HOOKRELAY_SQLITE_QUEUE=jobs, bench/results/2026-12-05-sqlite-log-vs-jobs.txt):
// throughput 0.320 -> 0.344 x the limit (service CPU per delivery 224 -> 193 us), fan-out
// 5,600-7,351 -> 8,524-9,876 deliveries/s. (The prototype without idempotency, attachments,
// exceptions and reader lease, bench/log-shape.mjs: 0.33-0.36 -> 0.41 x.)
//
// One lane, read by one process at a time (a lease on log_cursor): SQLite is one `serve` per
// file, and a second one started by mistake takes the log over instead of delivering it twice over.
import type { Db } from '../db.ts';
import { jobsRelationOf, withEventLog, type CursorMove, type LogEntry, type LogRead } from '../event-log.ts';
import { ATTEMPT_STATE_ONE, JOB_COLUMNS, jobParams } from '../sql-queue.ts';
import type { JobRow } from '../types.ts';
import { SqliteStore } from './index.ts';

/**
 * Log rows after a seq, without their events: an event's payload is read once, for the jobs a
 * claim hands out (claimWithEvents), not for those it only reads ahead (a full webhook's, a big
 * fan-out's). Bench (2026-12-05, bench:split, 50,000 events to one webhook): with the events
 * joined, claims behind a full webhook read up to 4,096 payloads to keep none of them.
 */
const READ_LOG = 'SELECT seq, event_id, org_id, event_type, created_at, targets FROM log WHERE seq > ? ORDER BY seq LIMIT ?';

/**
 * The log's jobs not attempted yet: above the cursor, with neither an attempt holding their state
 * nor a jobs row (as rows with JOB_COLUMNS' names). With `byOrg`, of the org given as its parameter.
 */
function waitingJobs(byOrg: boolean): string {
  const id = `l.event_id || '.' || t.key`;
  return `SELECT ${id} AS id, 'event' AS kind, l.event_id AS event_id, l.event_type AS event_type, t.value AS webhook_id, l.org_id AS org_id,
      'PENDING' AS status, 0 AS try_count, 0 AS budget_start, l.created_at AS next_attempt_at, NULL AS lease_owner, NULL AS lease_until,
      NULL AS detail, NULL AS last_status, l.created_at AS created_at, l.created_at AS updated_at
    FROM log l, json_each(l.targets) t
    WHERE l.seq > (SELECT seq FROM log_cursor WHERE id = 1) ${byOrg ? 'AND l.org_id = ?' : ''} AND t.type = 'text'
      AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.job_id = ${id} AND a.job_status IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = ${id})`;
}
const WAITING = [waitingJobs(false), waitingJobs(true)];

/** Every job as one relation (jobsRelationOf), of all orgs. (Read by the tests' probe of a SQLite file, either layout.) */
export const jobsRelation = (): string => jobsRelationOf(false, WAITING[0]);

export class SqliteLogStore extends withEventLog(SqliteStore) {
  /** Until when this store last wrote its lease on the log. */
  private readerUntil = 0;
  /** Whether this store ever read the log: its first claim takes the log over (see holdLanes). */
  private started = false;

  protected laneOf(): number {
    return 0;
  }

  /**
   * Holds the log's reader lease, or takes it: when free, when it lapsed, and on this store's
   * first claim (a process started again after a crash reads at once rather than after its dead
   * self's lease runs out).
   */
  protected async holdLanes(now: number, leaseMs: number): Promise<void> {
    if (this.lanes.get(0)?.reading && now < this.readerUntil - leaseMs / 2) {
      // Still ours unless another process took the log over (see above): a read, not a write.
      const row = await this.db.leases.get<{ owner: string | null }>('SELECT owner FROM log_cursor WHERE id = 1');
      if (row?.owner !== this.readerId) this.laneLost(0);
      return;
    }
    const row = await this.db.leases.get<{ seq: number; top: number }>(
      `UPDATE log_cursor SET owner = ?, lease_until = ? WHERE id = 1 AND (owner IS NULL OR owner = ? OR lease_until < ? OR ?)
       RETURNING seq, (SELECT COALESCE(MAX(seq), 0) FROM log) AS top`,
      [this.readerId, now + leaseMs, this.readerId, now, this.started ? 0 : 1],
    );
    this.started = true;
    if (!row) return this.laneLost(0);
    if (!this.lanes.get(0)?.reading) this.laneStarted(0, Number(row.seq), Number(row.top));
    this.readerUntil = now + leaseMs;
  }

  /**
   * One statement run per row (Db.runEach) for the whole batch: the seqs of a transaction's rows
   * follow each other (one writer, AUTOINCREMENT takes the next), so the last one gives them all.
   * Bench (2026-12-05, bench:split, 50,000 events): an INSERT ... RETURNING awaited per event cost
   * the storage thread ~10 us per accepted event more than today's job rows.
   */
  protected async insertLog(db: Db, entries: LogEntry[]): Promise<number[]> {
    await db.runEach(
      'INSERT INTO log (event_id, org_id, event_type, created_at, targets) VALUES (?, ?, ?, ?, ?)',
      entries.map(({ item: { event: e }, targets }) => [e.id, e.orgId, e.type, e.createdAt, JSON.stringify(targets)]),
    );
    const last = Number((await db.get<{ seq: number }>('SELECT last_insert_rowid() AS seq'))!.seq);
    return entries.map((_, k) => last - entries.length + 1 + k);
  }

  protected async readLanes(reads: { lane: number; after: number; want: number }[]): Promise<Map<number, LogRead[]>> {
    const out = new Map<number, LogRead[]>();
    for (const { lane, after, want } of reads) {
      const rows = await this.db.leases.rows(READ_LOG, [after, want]);
      out.set(lane, rows.map((r) => ({
        seq: Number(r[0]),
        event: { id: r[1] as string, orgId: Number(r[2]), type: r[3] as string, createdAt: Number(r[4]) },
        targets: JSON.parse(r[5] as string) as (string | null)[],
      })));
    }
    return out;
  }

  /** One transaction, a statement per row (see ATTEMPT_ONE), not waited on to reach the disk (see SqlQueueStore.completeAttempts). */
  protected writeOutcomes(states: unknown[][], retries: JobRow[], moves: CursorMove[]): Promise<Set<number>> {
    return this.db.leases.tx(async (db) => {
      await db.runEach(ATTEMPT_STATE_ONE, states);
      await this.insert(db, 'jobs', JOB_COLUMNS, retries, jobParams);
      const moved = new Set<number>();
      for (const m of moves) {
        if (!(await db.run('UPDATE log_cursor SET seq = ? WHERE id = 1 AND owner = ?', [m.seq, this.readerId])).changes) continue;
        if (m.trim) await db.run('DELETE FROM log WHERE seq <= ?', [m.seq]);
        moved.add(m.lane);
      }
      return moved;
    });
  }

  protected waitingJobs(byOrg: boolean): string {
    return WAITING[byOrg ? 1 : 0];
  }
}

/** A SQLite store with the queue laid out as asked. */
export function openSqlite(file: string, queue: 'log' | 'jobs'): SqliteStore {
  return queue === 'log' ? new SqliteLogStore(file) : new SqliteStore(file);
}
