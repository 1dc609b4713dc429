// PostgreSQL's delivery queue as an event log (the reading is event-log.ts; migration 007). Many
// processes share one database, so the log is cut into LANES lanes by webhook, and the processes
// that run a worker share them out: each holds its lanes with a session advisory lock on a
// connection of its own (a process that dies, or loses that connection, frees its lanes at once),
// and takes a fair share of them, ceil(LANES / processes reading), counted by a shared advisory
// lock each of them holds. A process that finds another joined gives lanes up: it stops reading
// them and frees each once the jobs it handed out from it are recorded (or after a lease), and
// the newcomer takes them at its next look. One webhook's first attempts stay in one process
// (its concurrency limit was per process already).
//
// Commit order: a publish takes its lanes' transaction advisory locks before drawing their seqs
// (LOG_ORDER_LOCK in sql-queue.ts), so within a lane a reader never meets a seq committed behind
// one it has read.
import crypto from 'node:crypto';
import pg from 'pg';
import type { Db } from '../db.ts';
import { jobsRelationOf, logColumns, readable, withEventLog, type CursorMove, type LogEntry, type LogRead } from '../event-log.ts';
import { LOG_ORDER_LOCK } from '../sql-queue.ts';
import type { JobRow, PublishItem } from '../types.ts';
import { PostgresStore, pgTypes } from './index.ts';

/** Lanes of the log: migration 007 made a log_cursor row for each (changing it needs a migration). */
export const LANES = 16;
/** The session advisory lock (this key, lane) held by the process reading a lane. */
const LANE_LOCK = 714_022_102;
/** The shared advisory lock (this key, 0) held by every process reading lanes: their count shares the lanes out. */
const READERS_LOCK = 714_022_103;
/** How often a process looks at the lanes' sharing (a newcomer waits up to this, plus the drain, for its share). */
const LANE_CHECK_MS = 1000;

/** A webhook's lane: FNV-1a of its id. */
export function laneOf(webhookId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < webhookId.length; i++) h = Math.imul(h ^ webhookId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % LANES;
}

const READERS = `SELECT count(*) AS n FROM pg_locks
  WHERE locktype = 'advisory' AND classid = $1 AND objid = 0 AND objsubid = 2 AND granted
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
/** Up to $3 lanes not in $2 whose lock this session takes now, tried from $4 on (each process its own start). */
const TRY_LANES = `SELECT lane FROM (
    SELECT lane FROM generate_series(0, ${LANES - 1}) AS lane WHERE lane <> ALL(CAST($2 AS INT[])) ORDER BY (lane + $4) % ${LANES} OFFSET 0
  ) AS free WHERE pg_try_advisory_lock($1, lane) LIMIT $3`;
/** Up to n rows after a seq of each lane read (lease pool: an index walk of (lane, seq) each). */
const READ_LANES = `SELECT l.lane, l.seq, l.event_id, l.org_id, l.event_type, l.created_at, l.targets
  FROM unnest(CAST(? AS INT[]), CAST(? AS BIGINT[]), CAST(? AS INT[])) AS c(lane, after, n)
  CROSS JOIN LATERAL (SELECT * FROM log WHERE log.lane = c.lane AND log.seq > c.after ORDER BY log.seq LIMIT c.n) AS l`;
const INSERT_LOG = `INSERT INTO log (lane, event_id, org_id, event_type, created_at, targets)
  SELECT * FROM unnest(CAST(? AS INT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]))
  RETURNING lane, seq, event_id`;

/**
 * The log's jobs not attempted yet: above their lane's cursor, with neither an attempt holding
 * their state nor a jobs row (as rows with JOB_COLUMNS' names, their NULLs typed: see
 * event-log.ts's ATTEMPT_AS_JOB). With `byOrg`, of the org given as its parameter.
 * Its shape reads the waiting jobs and nothing else. Each lane's rows above its cursor are an
 * index walk of (lane, seq) (OFFSET 0 keeps the planner from flattening it into a join); the
 * planner, counting 100 rows per targets array, otherwise read the whole log, dead rows
 * included, or hashed every attempt of the history to anti-join them. Each job's attempt and
 * jobs row are looked up by id (a scalar subquery is never turned into a join). auto_explain
 * (2026-12-07, 100,000 deliveries, analyzed, nothing waiting): the job history's waiting-jobs
 * stream took 46 ms, 41 of them hashing the 100,000 attempts, and 6.8 ms to read the log's
 * 1,056 rows; the job history's page 57-65 ms.
 */
function waitingJobs(byOrg: boolean): string {
  const id = `l.event_id || '.' || (t.i - 1)`;
  return `SELECT ${id} AS id, 'event' AS kind, l.event_id AS event_id, l.event_type AS event_type, t.w AS webhook_id, l.org_id AS org_id,
      'PENDING' AS status, 0 AS try_count, 0 AS budget_start, l.created_at AS next_attempt_at, CAST(NULL AS TEXT) AS lease_owner,
      CAST(NULL AS BIGINT) AS lease_until, CAST(NULL AS TEXT) AS detail, CAST(NULL AS INT) AS last_status, l.created_at AS created_at, l.created_at AS updated_at
    FROM log_cursor c
    CROSS JOIN LATERAL (SELECT * FROM log WHERE log.lane = c.lane AND log.seq > c.seq ${byOrg ? 'AND log.org_id = ?' : ''} OFFSET 0) AS l
    CROSS JOIN LATERAL json_array_elements_text(CAST(l.targets AS JSON)) WITH ORDINALITY AS t(w, i)
    WHERE t.w IS NOT NULL
      AND (SELECT 1 FROM attempts a WHERE a.job_id = ${id} AND a.job_status IS NOT NULL LIMIT 1) IS NULL
      AND (SELECT 1 FROM jobs j WHERE j.id = ${id}) IS NULL`;
}
const WAITING = [waitingJobs(false), waitingJobs(true)];

/** Every job as one relation (jobsRelationOf), of all orgs. (Read by the tests' probe.) */
export const jobsRelation = (): string => jobsRelationOf(false, WAITING[0]);

/** The seqs of written log rows ([lane, seq, event_id] each), in the entries' order. */
function seqsOf(entries: LogEntry[], written: unknown[][]): number[] {
  const seq = new Map(written.map((r) => [`${r[0]}:${r[2]}`, Number(r[1])]));
  return entries.map((e) => seq.get(`${e.lane}:${e.item.event.id}`)!);
}

export class PgLogStore extends withEventLog(PostgresStore) {
  /** The connection whose session holds this process's lane locks. */
  private laneClient: pg.Client | null = null;
  private checkAt = 0;
  /** Where this process starts trying lanes: processes starting together do not all try lane 0 first. */
  private readonly firstLane = crypto.randomInt(LANES);
  private closed = false;

  protected laneOf(webhookId: string): number {
    return laneOf(webhookId);
  }

  /** The lane-lock connection, opened and counted among the readers if it is not. */
  private async laneConnection(): Promise<pg.Client> {
    if (this.laneClient) return this.laneClient;
    const c = new pg.Client({ connectionString: this.url, types: pgTypes });
    c.on('error', () => this.dropLanes(c));
    c.on('end', () => this.dropLanes(c));
    try {
      await c.connect();
      await c.query('SELECT pg_advisory_lock_shared($1, 0)', [READERS_LOCK]);
    } catch (err) {
      c.end().catch(() => undefined);
      throw err;
    }
    this.laneClient = c;
    return c;
  }

  /**
   * The lane-lock connection is gone, and with it every lane lock: another process may read them
   * already. (Only the current one: an older connection's late 'end' must not drop the lanes a
   * newer one holds.)
   */
  private dropLanes(c: pg.Client): void {
    if (this.laneClient !== c) return;
    this.laneClient = null;
    for (const id of this.lanes.keys()) this.laneLost(id);
    c.end().catch(() => undefined);
  }

  /** Takes this process's share of the lanes, gives up what is above it (once a second). */
  protected async holdLanes(now: number, leaseMs: number): Promise<void> {
    if (now < this.checkAt || this.closed) return;
    this.checkAt = now + LANE_CHECK_MS;
    let c: pg.Client | null = null;
    try {
      c = await this.laneConnection();
      const readers = Number((await c.query(READERS, [READERS_LOCK])).rows[0].n);
      const share = Math.ceil(LANES / Math.max(1, readers));
      const reading = [...this.lanes.values()].filter((l) => l.reading);
      const active = reading.filter(readable);
      if (active.length < share) {
        const got = await c.query(TRY_LANES, [LANE_LOCK, reading.map((l) => l.id), share - active.length, this.firstLane]);
        for (const { lane } of got.rows) {
          // Owner first, then the cursor: a former reader's cursor write either committed before
          // (read here) or finds the owner changed and does not happen.
          const r = await c.query(
            'UPDATE log_cursor SET owner = $2 WHERE lane = $1 RETURNING seq, (SELECT COALESCE(MAX(seq), 0) FROM log WHERE lane = $1) AS top',
            [lane, this.readerId],
          );
          this.laneStarted(lane, Number(r.rows[0].seq), Number(r.rows[0].top));
        }
      } else if (active.length > share) {
        // A process joined: its share is freed once the jobs out from it are recorded. The
        // jobs read and waiting are read again by the next reader from the cursor.
        for (const lane of active.slice(share)) {
          lane.drainingSince = now;
          lane.book.reset(lane.book.cursor);
        }
      }
      for (const lane of reading) {
        if (lane.drainingSince === null || (lane.book.out > 0 && now - lane.drainingSince < leaseMs)) continue;
        await c.query('UPDATE log_cursor SET owner = NULL WHERE lane = $1 AND owner = $2', [lane.id, this.readerId]);
        await c.query('SELECT pg_advisory_unlock($1, $2)', [LANE_LOCK, lane.id]);
        this.laneLost(lane.id);
      }
    } catch {
      // The lanes are given up with their connection (its locks go with it); the jobs table is
      // still claimed, and the next look connects again. (A failed connect left none.)
      if (c) this.dropLanes(c);
    }
  }

  protected async insertLog(db: Db, entries: LogEntry[]): Promise<number[]> {
    const { columns, lanes } = logColumns(entries);
    await db.get(`SELECT count(pg_advisory_xact_lock(${LOG_ORDER_LOCK}, l)) AS n FROM unnest(CAST(? AS INT[])) AS l`, [lanes]);
    return seqsOf(entries, await db.rows(INSERT_LOG, columns));
  }

  /** One statement as with jobs rows (sql-queue.ts), its log rows written with the lanes' order locks. */
  protected override async publishStatement(items: PublishItem[]): Promise<unknown[][]> {
    const { entries, rows } = this.planLog(items);
    if (!entries.length) return super.publishStatement(items, rows);
    const written = await super.publishStatement(items, rows, logColumns(entries));
    this.placed(entries, seqsOf(entries, written));
    return written;
  }

  protected async readLanes(reads: { lane: number; after: number; want: number }[]): Promise<Map<number, LogRead[]>> {
    const rows = await this.db.leases.rows(READ_LANES, [reads.map((r) => r.lane), reads.map((r) => r.after), reads.map((r) => r.want)]);
    const out = new Map<number, LogRead[]>();
    for (const r of rows) {
      const lane = Number(r[0]);
      let list = out.get(lane);
      if (!list) out.set(lane, (list = []));
      list.push({
        seq: Number(r[1]),
        event: { id: r[2] as string, orgId: Number(r[3]), type: r[4] as string, createdAt: Number(r[5]) },
        targets: JSON.parse(r[6] as string) as (string | null)[],
      });
    }
    for (const list of out.values()) list.sort((a, b) => a.seq - b.seq);
    return out;
  }

  /**
   * One statement (pgOutcomes in sql-queue.ts), then the trims on their own: rows at or below a
   * written cursor are done whenever they go, and a trim that fails leaves them to the next one.
   */
  protected async writeOutcomes(states: unknown[][], retries: JobRow[], moves: CursorMove[]): Promise<Set<number>> {
    const moved = new Set(await this.writeOutcomesStatement(states, retries, moves, this.readerId));
    for (const m of moves) {
      if (m.trim && moved.has(m.lane)) await this.db.leases.run('DELETE FROM log WHERE lane = ? AND seq <= ?', [m.lane, m.seq]).catch(() => undefined);
    }
    return moved;
  }

  protected waitingJobs(byOrg: boolean): string {
    return WAITING[byOrg ? 1 : 0];
  }

  override async close(): Promise<void> {
    this.closed = true;
    const c = this.laneClient;
    this.laneClient = null;
    await c?.end().catch(() => undefined);
    await super.close();
  }
}

/** A PostgreSQL store with the queue laid out as asked. */
export function openPostgres(url: string, poolSize: number | undefined, queue: 'log' | 'jobs'): PostgresStore {
  return queue === 'log' ? new PgLogStore(url, poolSize) : new PostgresStore(url, poolSize);
}
