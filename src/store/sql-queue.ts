// The delivery queue's verbs in SQL both engines accept. The one statement that differs, the
// claim, is supplied by each engine: PostgreSQL adds FOR UPDATE SKIP LOCKED so concurrent workers
// never block on each other; SQLite's single writer makes the plain UPDATE ... RETURNING atomic.
import { eventIdBefore } from '../domain/ids.ts';
import { eventJobId, jobCount, newJob } from '../domain/jobs.ts';
import type { Db } from './db.ts';
import type {
  AttemptQuery, AttemptRow, ClaimedEvent, ClaimRequest, Completion, EventRow, JobQuery, JobRow, JobStatus, JobTransition, NewAttachment, PruneResult, PublishItem, QueueStats, QueueStore,
} from './types.ts';

type Raw = Record<string, any>;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** A job from its columns in JOB_COLUMNS order (Db.rows, and the storage thread's wire: sqlite/wire-rows.ts). */
export function toJob(r: unknown[]): JobRow {
  return {
    id: r[0] as string,
    kind: r[1] as JobRow['kind'],
    eventId: r[2] as string,
    eventType: r[3] as string,
    webhookId: r[4] as string,
    orgId: Number(r[5]),
    status: r[6] as JobRow['status'],
    tryCount: Number(r[7]),
    budgetStart: Number(r[8]),
    nextAttemptAt: Number(r[9]),
    leaseOwner: (r[10] as string | null) ?? null,
    leaseUntil: num(r[11]),
    detail: (r[12] as string | null) ?? null,
    lastStatus: num(r[13]),
    createdAt: Number(r[14]),
    updatedAt: Number(r[15]),
  };
}

/** An event from its columns in EVENT_COLUMNS order (Db.rows); the payload as the engine gave it. */
function toEvent<P = string>(r: unknown[]): Omit<EventRow, 'payload'> & { payload: P } {
  return {
    id: r[0] as string,
    orgId: Number(r[1]),
    type: r[2] as string,
    payload: r[3] as P,
    name: (r[4] as string | null) ?? null,
    runId: (r[5] as string | null) ?? null,
    recipients: r[6] ? JSON.parse(r[6] as string) : null,
    attachments: r[7] ? JSON.parse(r[7] as string) : [],
    createdAt: Number(r[8]),
  };
}

function toAttempt(r: Raw): AttemptRow {
  return {
    id: r.id,
    jobId: r.job_id,
    eventId: r.event_id,
    webhookId: r.webhook_id,
    orgId: Number(r.org_id),
    attemptNo: Number(r.attempt_no),
    startedAt: Number(r.started_at),
    durationMs: Number(r.duration_ms),
    statusCode: num(r.status_code),
    success: Number(r.success) === 1,
    error: r.error ?? null,
    responseBody: r.response_body ?? null,
    requestHeaders: JSON.parse(r.request_headers),
  };
}

export const JOB_COLUMNS = 'id, kind, event_id, event_type, webhook_id, org_id, status, try_count, budget_start, next_attempt_at, lease_owner, lease_until, detail, last_status, created_at, updated_at';
const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

const JOB_STATUSES: JobStatus[] = ['PENDING', 'RETRY', 'SUCCESS', 'FAILED'];

const WAITING_JOBS = "FROM jobs WHERE status IN ('PENDING', 'RETRY')";
const ORGS = 'org_id IN (SELECT id FROM orgs)';
/** See queueStats. A due job's time is its next_attempt_at: the oldest due is the index's first entry. */
const QUEUE_STATS = `SELECT
    (SELECT COUNT(*) ${WAITING_JOBS} AND next_attempt_at <= ?) AS due,
    (SELECT COUNT(*) ${WAITING_JOBS} AND next_attempt_at > ?) AS scheduled,
    (SELECT MIN(next_attempt_at) ${WAITING_JOBS} AND next_attempt_at <= ?) AS oldest,
    (SELECT COUNT(*) FROM jobs WHERE ${ORGS} AND status = 'FAILED')
      - (SELECT COUNT(*) FROM jobs WHERE kind = 'validation' AND status || '' = 'FAILED' AND org_id + 0 IN (SELECT id FROM orgs))
      + (SELECT COUNT(*) FROM attempts WHERE ${ORGS} AND job_status = 'FAILED') AS dead`;

/** How far apart the clocks of two processes sharing a database may be, at most (see listJobs). */
const CLOCK_SKEW_MS = 3_600_000;

/** A job query's conditions on JOB_COLUMNS, and their parameters; `byStatus`: its states too (a page's streams are of one state each). */
function jobFilter(q: JobQuery, byStatus: boolean): [cond: string, params: unknown[]] {
  const where = ['1 = 1'];
  const params: unknown[] = [];
  const inList = (col: string, values?: unknown[]) => {
    if (!values?.length) return;
    where.push(`${col} IN (${placeholders(values.length)})`);
    params.push(...values);
  };
  inList('id', q.jobIds);
  inList('webhook_id', q.webhookIds);
  if (byStatus) inList('status', q.statuses);
  inList('event_type', q.eventTypes);
  inList('event_id', q.eventIds);
  inList('kind', q.kinds);
  if (q.since !== undefined) (where.push('created_at >= ?'), params.push(q.since));
  if (q.until !== undefined) (where.push('created_at <= ?'), params.push(q.until));
  return [where.join(' AND '), params];
}

/**
 * Shared shape of the claim; `lock` is the engine's row-locking clause, `key` the column that
 * names a row (SQLite: rowid, which its indexes carry, so the inner SELECT reads the index only).
 */
export function claimStatement(excluded: 'none' | 'array' | 'json', lock: string, key = 'id'): string {
  // One text whatever the number of excluded webhooks: PostgreSQL takes an array, SQLite a JSON one.
  const exclude = { none: '', array: 'AND webhook_id <> ALL(CAST(? AS TEXT[]))', json: 'AND webhook_id NOT IN (SELECT value FROM json_each(?))' }[excluded];
  return `UPDATE jobs SET lease_owner = ?, lease_until = ?
    WHERE ${key} IN (
      SELECT ${key} FROM jobs
      WHERE status IN ('PENDING', 'RETRY') AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) ${exclude}
      ORDER BY next_attempt_at LIMIT ? ${lock})
    RETURNING ${JOB_COLUMNS}`;
}

/**
 * Multi-row batches are cut into chunks of a power of two rows (100 = 64 + 32 + 4), so the
 * statements of every batch size come from a dozen texts each connection prepares once. Bench
 * (2026-11-22, fan-out, SQLite on its thread): a text per batch size meant a prepared statement
 * per size, whose native memory lives until the storage thread's heap is collected, and the
 * service grew ~1 KB per delivery to 250 MB.
 */
function chunkSize(left: number, max: number): number {
  let n = 1;
  while (n * 2 <= left && n * 2 <= max) n *= 2;
  return n;
}

/**
 * Rows inserted in chunks built one at a time (a publish fanned out to 10,000 jobs never holds all
 * of their parameter arrays at once).
 *  - Engines with array parameters (PostgreSQL, here only for publishes with idempotency keys or
 *    files): one INSERT per chunk, under both engines' limit on bound parameters. Bench
 *    (2026-11-22): a statement per row made a 100-event batch 200 round trips on PostgreSQL
 *    (2,094 events/s accepted).
 *  - SQLite: a one-row INSERT run per row (Db.runEach). A statement writing many rows inside a
 *    transaction keeps a statement journal of the pages it changes, so that it can fail alone;
 *    past 64 KB SQLite spills it to a temp file, created, written and unlinked in /var/tmp (~6 of
 *    10 transactions, strace, store alone, 5,000 deliveries: 127 files), and kept in memory
 *    instead (temp_store = MEMORY) it raised the fan-out's peak RSS from 169-176 to 178-196 MB.
 *    A one-row INSERT needs no journal: it checks its constraints before it writes.
 */
async function insertMany<T>(db: Db, oneRowEach: boolean, table: string, columns: string, count: number, rows: Iterator<T>, params: (item: T) => unknown[]): Promise<void> {
  let tuple = '';
  let width = 0;
  for (let i = 0, per = 0; i < count; i += per) {
    const first = params(rows.next().value as T);
    if (!width) {
      width = first.length;
      tuple = `(${placeholders(width)})`;
    }
    if (oneRowEach) {
      // 512 parameter lists at a time: a fan-out's jobs are never all in memory at once.
      per = Math.min(count - i, 512);
      const lists = [first];
      for (let k = 1; k < per; k++) lists.push(params(rows.next().value as T));
      await db.runEach(`INSERT INTO ${table} (${columns}) VALUES ${tuple}`, lists);
      continue;
    }
    const values: unknown[] = [];
    per = chunkSize(count - i, Math.floor(30_000 / width));
    for (const v of first) values.push(v);
    for (let k = 1; k < per; k++) for (const v of params(rows.next().value as T)) values.push(v);
    await db.run(`INSERT INTO ${table} (${columns}) VALUES ${Array.from({ length: per }, () => tuple).join(', ')}`, values);
  }
}

/** The jobs of the items: their rows, then those of their fan-out, made one at a time. */
function* jobsOf(items: PublishItem[]): Generator<JobRow> {
  for (const item of items) {
    yield* item.jobs;
    const f = item.fanout;
    if (f) {
      let index = item.jobs.length;
      for (const webhookId of f.webhookIds) yield newJob(f.kind, item.event, webhookId, item.event.createdAt, eventJobId(item.event.id, index++));
    }
  }
}

const jobsCount = (items: PublishItem[]) => items.reduce((n, i) => n + jobCount(i), 0);

/** Rows as one array per column (the parameters of an INSERT ... SELECT FROM unnest(...)), from `count` items. */
function columnsFrom<T>(count: number, rows: Iterable<T>, params: (item: T) => unknown[], width: number): unknown[][] {
  const cols: unknown[][] = Array.from({ length: width }, () => new Array(count));
  let r = 0;
  for (const row of rows) {
    const p = params(row);
    for (let c = 0; c < width; c++) cols[c][r] = p[c];
    r++;
  }
  return cols;
}

const EVENT_COLUMNS = 'id, org_id, type, payload, name, run_id, recipients, attachments, created_at';
/**
 * EVENT_COLUMNS with SQLite's payload read as a BLOB: the bytes the worker sends and signs. As
 * text it was a string made on the storage thread, cloned to the main thread and encoded back
 * to bytes there for every delivery (see claimWithEvents). PostgreSQL keeps text: a bytea
 * crosses its wire as hex, twice the bytes for pg to decode.
 */
const EVENT_COLUMNS_BYTES = EVENT_COLUMNS.replace('payload', 'CAST(payload AS BLOB)');
const ATTACHMENT_COLUMNS = 'id, event_id, file_name, content_type, size, data';
export const ATTEMPT_COLUMNS = 'id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, error, response_body, request_headers';

function eventParams({ event: e }: PublishItem): unknown[] {
  return [e.id, e.orgId, e.type, e.payload, e.name, e.runId, e.recipients ? JSON.stringify(e.recipients) : null, JSON.stringify(e.attachments), e.createdAt];
}

export function attemptParams(a: AttemptRow): unknown[] {
  return [a.id, a.jobId, a.eventId, a.webhookId, a.orgId, a.attemptNo, a.startedAt, a.durationMs, a.statusCode, a.success ? 1 : 0, a.error, a.responseBody, JSON.stringify(a.requestHeaders)];
}

/**
 * SQLite's attempt records, one prepared statement per row inside the batch's transaction. Guarded
 * by the lease: a worker whose lease expired (and whose job another worker took) still leaves its
 * attempt in the history but not its state. Bench (2026-11-23, the store alone, 40,000 deliveries
 * in claims of 64, six alternated pairs): 16.9-26.0 us of CPU per delivery (median 22.6) as one
 * multi-row INSERT and one UPDATE ... FROM (VALUES ...) per batch, 16.9-22.1 (median 17.5) as a
 * statement per row, which SQLite runs without a network between.
 */
export const ATTEMPT_ONE = `INSERT INTO attempts (${ATTEMPT_COLUMNS}) VALUES (${placeholders(13)})`;
export const TRANSITION_ONE = `UPDATE jobs SET status = ?, try_count = try_count + 1, next_attempt_at = COALESCE(?, next_attempt_at),
    detail = ?, last_status = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
  WHERE id = ? AND lease_owner = ?`;
export const transitionOne = ({ attempt: a, owner, transition: t }: Completion) => [t.status, t.nextAttemptAt, t.detail, a.statusCode, a.startedAt + a.durationMs, a.jobId, owner];

/** unnest() of one array parameter per column, or a joined text for the columns at `joined` (see JSON_SEP). */
const unnest = (types: string[], joined: number[] = []) =>
  `unnest(${types.map((t, i) => (joined.includes(i) ? `string_to_array(?, E'\\x1e')` : `CAST(? AS ${t}[])`)).join(', ')})`;
const EVENT_TYPES = ['TEXT', 'BIGINT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'BIGINT'];
const JOB_TYPES = ['TEXT', 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'BIGINT', 'TEXT', 'BIGINT', 'BIGINT', 'BIGINT', 'TEXT', 'BIGINT', 'TEXT', 'BIGINT', 'BIGINT', 'BIGINT'];
const ATTEMPT_TYPES = ['TEXT', 'TEXT', 'TEXT', 'TEXT', 'BIGINT', 'BIGINT', 'BIGINT', 'BIGINT', 'BIGINT', 'BIGINT', 'TEXT', 'TEXT', 'TEXT'];
const TRANSITION_TYPES = ['TEXT', 'TEXT', 'BIGINT', 'TEXT', 'BIGINT', 'BIGINT', 'TEXT'];

/**
 * PostgreSQL's batch writes with one array parameter per column: the statement text is the same
 * for every batch size, so each connection parses and plans it once (a named prepared statement,
 * see postgres/index.ts) instead of once per batch of up to 16 x 100 placeholders. pg_stat_statements
 * (2026-11-22, 50,000 deliveries): planning alone was 16% of the server's time for these statements.
 */
const pgPublish = (eventJson: number[]) => `WITH e AS (INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM ${unnest(EVENT_TYPES, eventJson)})
  INSERT INTO jobs (${JOB_COLUMNS}) SELECT * FROM ${unnest(JOB_TYPES)}`;

/**
 * JSON columns cross to PostgreSQL as one text parameter, the values joined by a separator JSON
 * text never holds (JSON.stringify escapes every control character), split by the server with
 * string_to_array: in a TEXT[] literal every quote of the JSON is escaped by pg's client and
 * unescaped by the server. Measured (2026-11-23, 50,000 rows of 1 KB JSON in batches of 100):
 * client 15-19 -> 4-5 us a row, server 9-11 -> 7 us. A value holding the separator (only a
 * hand-built one could) sends the whole batch the array way instead.
 */
const JSON_SEP = '\x1e';
/** The columns at `joined` joined by JSON_SEP, or null if a value is not a non-empty string free of it. */
function joinColumns(cols: unknown[][], joined: number[]): unknown[] | null {
  const out: unknown[] = cols.slice();
  for (const c of joined) {
    const values = cols[c] as (string | null)[];
    // (An empty string would vanish in the split: string_to_array('') is an empty array.)
    if (values.some((v) => typeof v !== 'string' || !v || v.includes(JSON_SEP))) return null;
    out[c] = values.join(JSON_SEP);
  }
  return out;
}
/** events.payload and events.attachments; attempts.request_headers. */
const EVENT_JSON = [3, 7];
const ATTEMPT_JSON = [12];
const PG_PUBLISH = pgPublish([]);
const PG_PUBLISH_SPLIT = pgPublish(EVENT_JSON);

/**
 * The transaction-scoped advisory lock (this key, the lane) a publish takes on each lane of the
 * event log it writes, before it draws their seqs and held until it commits: within a lane, seqs
 * then become visible in their order, and a reader that has seen seq s can never later find a
 * lower one committed behind it (event-log.ts). Arbitrary, shared by every HookRelay process.
 */
export const LOG_ORDER_LOCK = 714_022_101;
/** Log rows as PostgreSQL's publish writes them: one array per column of LOG_TYPES, and the lanes written, ascending. */
export interface LogColumns {
  columns: unknown[][];
  lanes: number[];
}
const LOG_TYPES = ['INT', 'TEXT', 'BIGINT', 'TEXT', 'BIGINT', 'TEXT'];
/**
 * pgPublish with the event log's rows: the lanes' locks are taken by the join (an aggregate of one
 * row that every row to insert waits for), so before the first seq is drawn; taken in ascending
 * lane order by every publish, they cannot deadlock.
 */
const pgPublishLog = (eventJson: number[], logJson: number[]) => `WITH e AS (INSERT INTO events (${EVENT_COLUMNS}) SELECT * FROM ${unnest(EVENT_TYPES, eventJson)}),
  j AS (INSERT INTO jobs (${JOB_COLUMNS}) SELECT * FROM ${unnest(JOB_TYPES)})
  INSERT INTO log (lane, event_id, org_id, event_type, created_at, targets)
    SELECT r.* FROM ${unnest(LOG_TYPES, logJson)} AS r,
      (SELECT count(pg_advisory_xact_lock(${LOG_ORDER_LOCK}, l)) FROM unnest(CAST(? AS INT[])) AS l) AS ordered
    RETURNING lane, seq, event_id`;
/** log.targets (JSON text), joined as the events' JSON columns are (see JSON_SEP). */
const LOG_JSON = [5];
const PG_PUBLISH_LOG = [pgPublishLog([], []), pgPublishLog(EVENT_JSON, []), pgPublishLog([], LOG_JSON), pgPublishLog(EVENT_JSON, LOG_JSON)];

/** Attempts with the state of their job (when the job has no row: event-log.ts). */
export const ATTEMPT_STATE_COLUMNS = `${ATTEMPT_COLUMNS}, job_status, job_kind, event_type, detail, job_created_at`;
export const ATTEMPT_STATE_ONE = `INSERT INTO attempts (${ATTEMPT_STATE_COLUMNS}) VALUES (${placeholders(18)})`;
const ATTEMPT_STATE_TYPES = [...ATTEMPT_TYPES, 'TEXT', 'TEXT', 'TEXT', 'TEXT', 'BIGINT'];
/**
 * The event log's attempt records on PostgreSQL as one statement: the attempts with their job's
 * state, the jobs rows of those to retry, and the lanes' cursors moved (answers the lanes whose
 * cursor this process still owned). One round trip where a transaction takes four.
 */
const pgOutcomes = (attemptJson: number[]) => `WITH a AS (INSERT INTO attempts (${ATTEMPT_STATE_COLUMNS}) SELECT * FROM ${unnest(ATTEMPT_STATE_TYPES, attemptJson)}),
  r AS (INSERT INTO jobs (${JOB_COLUMNS}) SELECT * FROM ${unnest(JOB_TYPES)})
  UPDATE log_cursor SET seq = (CAST(? AS BIGINT[]))[array_position(CAST(? AS INT[]), lane)]
    WHERE lane = ANY(CAST(? AS INT[])) AND owner = ?
    RETURNING lane`;
const PG_OUTCOMES = pgOutcomes([]);
const PG_OUTCOMES_SPLIT = pgOutcomes(ATTEMPT_JSON);

const pgComplete = (attemptJson: number[]) => `WITH a AS (INSERT INTO attempts (${ATTEMPT_COLUMNS}) SELECT * FROM ${unnest(ATTEMPT_TYPES, attemptJson)})
  UPDATE jobs SET status = v.status, try_count = jobs.try_count + 1, next_attempt_at = COALESCE(v.next_at, jobs.next_attempt_at),
      detail = v.detail, last_status = v.last_status, lease_owner = NULL, lease_until = NULL, updated_at = v.updated_at
    FROM ${unnest(TRANSITION_TYPES)} AS v(id, status, next_at, detail, last_status, updated_at, owner)
    WHERE jobs.id = v.id AND jobs.lease_owner = v.owner
    RETURNING jobs.id`;
const PG_COMPLETE = pgComplete([]);
const PG_COMPLETE_SPLIT = pgComplete(ATTEMPT_JSON);

const transitionParams = ({ attempt: a, owner, transition: t }: Completion) => [a.jobId, t.status, t.nextAttemptAt, t.detail, a.statusCode, a.startedAt + a.durationMs, owner];

/** A job's columns in JOB_COLUMNS order (toJob's inverse). */
export function jobParams(j: JobRow): unknown[] {
  return [j.id, j.kind, j.eventId, j.eventType, j.webhookId, j.orgId, j.status, j.tryCount, j.budgetStart, j.nextAttemptAt, j.leaseOwner, j.leaseUntil, j.detail, j.lastStatus, j.createdAt, j.updatedAt];
}

/**
 * Whether an array-parameter engine publishes these items in one statement: no idempotency key
 * to claim first, no files (each its own statement).
 */
export const oneStatement = (items: PublishItem[]) => items.every((i) => i.idempotencyKey === undefined && !i.attachments.length);

export abstract class SqlQueueStore implements QueueStore {
  protected abstract readonly db: Db;
  /** The engine's claim statement (see claimStatement); parameters: owner, leaseUntil, now, now, [excluded,] limit. */
  protected abstract claimSql(excluded: 'none' | 'array' | 'json'): string;
  /**
   * Whether the engine takes arrays as parameters (PostgreSQL). Its batch writes are then single
   * statements of data-modifying CTEs over unnest(...) arrays: one round trip where a transaction
   * takes four (BEGIN, two statements, COMMIT), and one statement text for every batch size.
   * Bench (2026-11-22, PostgreSQL, 1,000 single publishes/s): the round trips of a transaction
   * left the service unable to keep up (p50 8 s).
   */
  protected readonly arrayParams: boolean = false;
  /** Whether claims read event payloads as their bytes (EVENT_COLUMNS_BYTES): SQLite. */
  protected readonly payloadBytes: boolean = false;

  /** Rows inserted (see insertMany): one statement per row on SQLite, multi-row chunks otherwise. */
  protected insert<T>(db: Db, table: string, columns: string, items: T[] | { count: number; rows: Iterator<T> }, params: (item: T) => unknown[]): Promise<void> {
    const { count, rows } = Array.isArray(items) ? { count: items.length, rows: items[Symbol.iterator]() } : items;
    return insertMany(db, !this.arrayParams, table, columns, count, rows, params);
  }

  /**
   * The condition on attempts that picks those of these events' jobs, and its parameters: by the
   * job ids' prefix, through attempts_job (an event's jobs made with it have its id, a dot and
   * their place, eventJobId: between `<event>.` and `<event>/`, '/' coming after '.' where text
   * compares by its bytes, as in SQLite; PostgreSQL's collations need not, see its own). Jobs of
   * the event with ids of their own (a resend) are not among them.
   */
  protected eventAttempts(eventIds: string[]): [sql: string, params: unknown[]] {
    return [`(${eventIds.map(() => '(job_id > ? AND job_id < ?)').join(' OR ')})`, eventIds.flatMap((e) => [`${e}.`, `${e}/`])];
  }

  /**
   * A list of ids as one parameter, so the statement text is the same for every length: an array
   * on PostgreSQL, a JSON array on SQLite.
   */
  protected idIn(ids: string[]): [sql: string, param: unknown] {
    return this.arrayParams ? ['= ANY(CAST(? AS TEXT[]))', ids] : ['IN (SELECT value FROM json_each(?))', JSON.stringify(ids)];
  }

  async publishEvents(items: PublishItem[], idempotencyTtlMs: number) {
    if (this.arrayParams && oneStatement(items)) {
      await this.publishStatement(items);
      return items.map((i) => ({ eventId: i.event.id, created: true }));
    }
    return this.db.tx(async (db) => {
      const results: { eventId: string; created: boolean }[] = [];
      const fresh: PublishItem[] = [];
      for (const item of items) {
        const prior = item.idempotencyKey === undefined ? null : await this.claimKey(db, item, idempotencyTtlMs);
        results.push({ eventId: prior ?? item.event.id, created: prior === null });
        if (prior === null) fresh.push(item);
      }
      await this.insert(db, 'events', EVENT_COLUMNS, fresh, eventParams);
      for (const { event, attachments } of fresh) {
        // One statement per file: a file may be 25 MB, never several of them in one parameter list.
        for (const a of attachments) await this.insert(db, 'attachments', ATTACHMENT_COLUMNS, [a], (f) => [f.id, event.id, f.fileName, f.contentType, f.size, f.data]);
      }
      await this.writeJobs(db, fresh);
      return results;
    });
  }

  /**
   * PostgreSQL's publish of items without keys or files, in one statement: their events, and the
   * job rows given (all of the items' jobs if none are); with `log` the event log's rows too
   * (event-log.ts), answered as [lane, seq, event_id].
   */
  protected async publishStatement(items: PublishItem[], jobs: JobRow[] | null = null, log: LogColumns | null = null): Promise<unknown[][]> {
    const events = columnsFrom(items.length, items, eventParams, EVENT_TYPES.length);
    const jobCols = jobs ? columnsFrom(jobs.length, jobs, jobParams, JOB_TYPES.length) : columnsFrom(jobsCount(items), jobsOf(items), jobParams, JOB_TYPES.length);
    const joined = joinColumns(events, EVENT_JSON);
    const params = [...(joined ?? events), ...jobCols];
    if (!log) {
      await this.db.run(joined ? PG_PUBLISH_SPLIT : PG_PUBLISH, params);
      return [];
    }
    const logJoined = joinColumns(log.columns, LOG_JSON);
    return this.db.rows(PG_PUBLISH_LOG[(joined ? 1 : 0) + (logJoined ? 2 : 0)], [...params, ...(logJoined ?? log.columns), log.lanes]);
  }

  /** Job rows, but for those whose id has a row already. */
  protected async insertJobsIgnoring(db: Db, rows: JobRow[]): Promise<void> {
    if (!rows.length) return;
    const sql = `INSERT INTO jobs (${JOB_COLUMNS})`;
    if (this.arrayParams) await db.run(`${sql} SELECT * FROM ${unnest(JOB_TYPES)} ON CONFLICT (id) DO NOTHING`, columnsFrom(rows.length, rows, jobParams, JOB_TYPES.length));
    else await db.runEach(`${sql} VALUES (${placeholders(16)}) ON CONFLICT (id) DO NOTHING`, rows.map(jobParams));
  }

  /**
   * PostgreSQL: attempt rows with their job's state (ATTEMPT_STATE_COLUMNS order), the jobs rows
   * of `retries`, and the cursors of `moves` written if `owner` still owns them, in one statement
   * (pgOutcomes); answers the lanes moved. (At most a completion batch: 256 attempts.)
   */
  protected async writeOutcomesStatement(states: unknown[][], retries: JobRow[], moves: { lane: number; seq: number }[], owner: string): Promise<number[]> {
    const cols = columnsFrom(states.length, states, (r) => r, ATTEMPT_STATE_TYPES.length);
    const joined = joinColumns(cols, ATTEMPT_JSON);
    const jobs = columnsFrom(retries.length, retries, jobParams, JOB_TYPES.length);
    const rows = await this.db.rows(joined ? PG_OUTCOMES_SPLIT : PG_OUTCOMES, [...(joined ?? cols), ...jobs, moves.map((m) => m.seq), moves.map((m) => m.lane), moves.map((m) => m.lane), owner]);
    return rows.map((r) => Number(r[0]));
  }

  /** The jobs of newly published items, inside their publish's transaction: a row each here. */
  protected async writeJobs(db: Db, fresh: PublishItem[]): Promise<void> {
    await this.insert(db, 'jobs', JOB_COLUMNS, { count: jobsCount(fresh), rows: jobsOf(fresh) }, jobParams);
  }

  /**
   * Claims the item's idempotency key in one statement; answers the event id that already holds
   * it, or null when this item won it. A concurrent publish with the same key waits on the row
   * (PostgreSQL) or the write lock (SQLite) and then sees it taken.
   */
  private async claimKey(db: Db, item: PublishItem, ttlMs: number): Promise<string | null> {
    const e = item.event;
    const won = await db.get<Raw>(
      `INSERT INTO idempotency_keys (org_id, key, event_id, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (org_id, key) DO UPDATE SET event_id = excluded.event_id, expires_at = excluded.expires_at
       WHERE idempotency_keys.expires_at <= ?
       RETURNING event_id`,
      [e.orgId, item.idempotencyKey, e.id, e.createdAt + ttlMs, e.createdAt],
    );
    if (won) return null;
    const prior = await db.get<Raw>('SELECT event_id FROM idempotency_keys WHERE org_id = ? AND key = ?', [e.orgId, item.idempotencyKey]);
    return prior!.event_id as string;
  }

  async findEvent(orgId: number, id: string): Promise<EventRow | null> {
    const [r] = await this.db.rows(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ? AND org_id = ?`, [id, orgId]);
    return r ? toEvent(r) : null;
  }

  findEvents(orgId: number, ids: string[]): Promise<EventRow[]> {
    return this.eventsById(orgId, ids, EVENT_COLUMNS);
  }

  private async eventsById<P = string>(orgId: number, ids: string[], columns: string): Promise<(Omit<EventRow, 'payload'> & { payload: P })[]> {
    if (!ids.length) return [];
    // By primary key only, the org checked here: with org_id in the WHERE, SQLite chose the
    // (org_id, created_at) index (since dropped: migration 005) and scanned the org's events, 2.6 ms
    // for 32 ids (bench, 2026-11-22).
    const [inIds, param] = this.idIn(ids);
    const rows = await this.db.rows(`SELECT ${columns} FROM events WHERE id ${inIds}`, [param]);
    return rows.map((r) => toEvent<P>(r)).filter((e) => e.orgId === orgId);
  }

  async getAttachmentData(eventId: string): Promise<NewAttachment[]> {
    const rows = await this.db.all<Raw>('SELECT * FROM attachments WHERE event_id = ?', [eventId]);
    // In the order they were published: the event row lists them (ids are random).
    const listed = await this.db.get<Raw>('SELECT attachments FROM events WHERE id = ?', [eventId]);
    const order: string[] = listed?.attachments ? JSON.parse(listed.attachments).map((a: { id: string }) => a.id) : [];
    rows.sort((x, y) => order.indexOf(x.id) - order.indexOf(y.id));
    return rows.map((r) => ({ id: r.id, fileName: r.file_name, contentType: r.content_type, size: Number(r.size), data: Buffer.from(r.data) }));
  }

  async insertJobs(jobs: JobRow[]): Promise<void> {
    await this.db.tx((db) => this.insert(db, 'jobs', JOB_COLUMNS, jobs, jobParams));
  }

  async findJob(orgId: number, id: string): Promise<JobRow | null> {
    const [from, params] = this.jobsOf(orgId);
    const [r] = await this.db.rows(`SELECT ${JOB_COLUMNS} FROM ${from} WHERE id = ?`, [...params, id]);
    return r ? toJob(r) : null;
  }

  async claimDue(req: ClaimRequest): Promise<JobRow[]> {
    const excluded = req.excludeWebhookIds;
    const head = [req.owner, req.now + req.leaseMs, req.now, req.now];
    const rows = this.arrayParams
      ? await this.db.leases.rows(this.claimSql('array'), [...head, excluded, req.limit])
      : excluded.length
        ? await this.db.leases.rows(this.claimSql('json'), [...head, JSON.stringify(excluded), req.limit])
        : await this.db.leases.rows(this.claimSql('none'), [...head, req.limit]);
    return rows.map(toJob).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
  }

  async claimWithEvents(req: ClaimRequest): Promise<{ jobs: JobRow[]; events: ClaimedEvent[] }> {
    const jobs = await this.claimDue(req);
    const byOrg = new Map<number, Set<string>>();
    for (const j of jobs) byOrg.set(j.orgId, (byOrg.get(j.orgId) ?? new Set()).add(j.eventId));
    const events: ClaimedEvent[] = [];
    const columns = this.payloadBytes ? EVENT_COLUMNS_BYTES : EVENT_COLUMNS;
    for (const [orgId, ids] of byOrg) events.push(...(await this.eventsById<string | Buffer>(orgId, [...ids], columns)));
    return { jobs, events };
  }

  async completeAttempt(a: AttemptRow, owner: string, t: JobTransition): Promise<boolean> {
    return (await this.completeAttempts([{ attempt: a, owner, transition: t }]))[0];
  }

  async completeAttempts(items: Completion[]): Promise<boolean[]> {
    if (!items.length) return [];
    if (!this.arrayParams) {
      // Not waited on to reach the disk (Db.leases): a record lost with the machine's power
      // leaves its job leased, so it is claimed and delivered again when the lease expires:
      // at least once, as promised. An fsync costs ~90 us of CPU here (260 us of wall time);
      // bench (2026-11-23, SQLite, 1,000 single publishes/s, alternated with the fsync):
      // service CPU per event 1,086/1,119 -> 1,052/1,099 us, p99 26.4/51.9 -> 12.2/24.8 ms.
      // (The transaction answers what it changed rather than recording it outside: a group
      // commit may run it a second time, see SqliteDb.commitGroup.)
      const changed = await this.db.leases.tx(async (db) => {
        await db.runEach(ATTEMPT_ONE, items.map(({ attempt }) => attemptParams(attempt)));
        return db.runEach(TRANSITION_ONE, items.map(transitionOne));
      });
      return changed.map((n) => n > 0);
    }
    const kept = new Set<string>();
    for (let i = 0; i < items.length; i += 1000) {
      const chunk = items.slice(i, i + 1000);
      const cols = columnsFrom(chunk.length, chunk, ({ attempt }) => attemptParams(attempt), ATTEMPT_TYPES.length);
      const joined = joinColumns(cols, ATTEMPT_JSON);
      const params = [...(joined ?? cols), ...columnsFrom(chunk.length, chunk, transitionParams, TRANSITION_TYPES.length)];
      for (const r of await this.db.all<Raw>(joined ? PG_COMPLETE_SPLIT : PG_COMPLETE, params)) kept.add(r.id as string);
    }
    return items.map((it) => kept.has(it.attempt.jobId));
  }

  async releaseLeases(owner: string, jobIds: string[]): Promise<void> {
    if (!jobIds.length) return;
    const [inIds, param] = this.idIn(jobIds);
    await this.db.leases.run(`UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND id ${inIds}`, [owner, param]);
  }

  /**
   * The jobs (of one org, or all) as a relation with JOB_COLUMNS, and its parameters: the jobs
   * table here (a subquery both engines flatten into the outer query, so the org's index is used
   * as before).
   */
  protected jobsOf(orgId: number | null): [sql: string, params: unknown[]] {
    return orgId === null ? ['jobs', []] : [`(SELECT ${JOB_COLUMNS} FROM jobs WHERE org_id = ?) AS j`, [orgId]];
  }

  /**
   * The streams a page of jobs merges, each a query with JOB_COLUMNS' names and its parameters.
   * With `states`, one per state, which an index gives in (updated_at, id) order once its
   * equalities are met: here the jobs rows of each state (jobs_org_status). Without (a query for
   * given jobs or events, which match few), read through the jobs' ids or events: here the jobs
   * rows by primary key or jobs_event (`+org_id`: the planner took jobs_org_status for this too,
   * every job of the org).
   */
  protected jobStreams(q: JobQuery, states: JobStatus[] | null): [sql: string, params: unknown[]][] {
    if (!states) {
      const [col, values] = q.jobIds?.length ? ['id', q.jobIds] : ['event_id', q.eventIds ?? []];
      return [[`SELECT ${JOB_COLUMNS} FROM jobs WHERE +org_id = ? AND ${col} IN (${placeholders(values.length)})`, [q.orgId, ...values]]];
    }
    return states.map((s) => [`SELECT ${JOB_COLUMNS} FROM jobs WHERE org_id = ? AND status = ?`, [q.orgId, s]]);
  }

  /**
   * A page of jobs: the first offset + limit of each stream (jobStreams), filtered, in the page's
   * order, then merged and cut. The same rows as ordering all of the org's jobs, without reading
   * them all: the jobs whose state is their attempt were sorted whole on every read. Measured
   * (2026-12-07, a copy of bench:history's SQLite database after 300,000 deliveries to one
   * webhook, the job history's read of 1,000): 446-459 ms sorting them all, 5.7-7.7 ms by streams.
   */
  async listJobs(q: JobQuery): Promise<JobRow[]> {
    const byState = !q.jobIds?.length && !q.eventIds?.length;
    let [cond, condParams] = jobFilter(q, !byState);
    if (byState && q.since !== undefined) {
      // A job is updated at or after its creation, so the jobs created since `since` are among
      // those updated since then: a range of each stream's index instead of a walk to its end
      // when fewer than a page match. (Less CLOCK_SKEW_MS: an attempt's start and its event's
      // creation may come from two processes' clocks.) Measured (2026-12-07, SQLite, a copy of
      // bench:history's database after 300,000 deliveries made within a minute, `since` two hours
      // after them, no job matching): 111-113 ms -> 0.3-0.7; within the margin, a walk as before.
      cond += ' AND updated_at >= ?';
      condParams = [...condParams, q.since - CLOCK_SKEW_MS];
    }
    const order = `ORDER BY updated_at ${q.order}, id ${q.order}`;
    const streams = this.jobStreams(q, byState ? (q.statuses?.length ? [...new Set(q.statuses)] : JOB_STATUSES) : null);
    const firsts = streams.map(([sql]) => `SELECT * FROM (SELECT * FROM (${sql}) AS s WHERE ${cond} ${order} LIMIT ?) AS f`);
    const params = streams.flatMap(([, p]) => [...p, ...condParams, q.offset + q.limit]);
    const rows = await this.db.rows(`SELECT ${JOB_COLUMNS} FROM (${firsts.join(' UNION ALL ')}) AS j ${order} LIMIT ? OFFSET ?`, [...params, q.limit, q.offset]);
    return rows.map(toJob);
  }

  async searchJobs(q: JobQuery): Promise<{ rows: JobRow[]; total: number }> {
    const [from, params] = this.jobsOf(q.orgId);
    const [cond, condParams] = jobFilter(q, true);
    const total = await this.db.get<Raw>(`SELECT COUNT(*) AS n FROM ${from} WHERE ${cond}`, [...params, ...condParams]);
    return { rows: await this.listJobs(q), total: Number(total?.n ?? 0) };
  }

  async searchAttempts(q: AttemptQuery): Promise<{ rows: AttemptRow[]; total: number }> {
    const where = ['org_id = ?', 'webhook_id = ?'];
    const params: unknown[] = [q.orgId, q.webhookId];
    if (q.success !== undefined) (where.push('success = ?'), params.push(q.success ? 1 : 0));
    if (q.since !== undefined) (where.push('started_at >= ?'), params.push(q.since));
    if (q.until !== undefined) (where.push('started_at <= ?'), params.push(q.until));
    const cond = where.join(' AND ');
    const [count, countParams] =
      q.countUpTo === undefined ? [`SELECT COUNT(*) AS n FROM attempts WHERE ${cond}`, params] : [`SELECT COUNT(*) AS n FROM (SELECT 1 FROM attempts WHERE ${cond} LIMIT ?) AS c`, [...params, q.countUpTo]];
    const total = await this.db.get<Raw>(count, countParams);
    const rows = await this.db.all<Raw>(`SELECT * FROM attempts WHERE ${cond} ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?`, [...params, q.limit, q.offset]);
    return { rows: rows.map(toAttempt), total: Number(total?.n ?? 0) };
  }

  async lastAttempt(jobId: string): Promise<AttemptRow | null> {
    const r = await this.db.get<Raw>('SELECT * FROM attempts WHERE job_id = ? ORDER BY attempt_no DESC LIMIT 1', [jobId]);
    return r ? toAttempt(r) : null;
  }

  /**
   * Per webhook of the org, a seek to its newest attempts (the attempts_webhook index, migrations
   * 007/010), not a pass over the org's whole history: measured (2026-12-07, a copy of
   * bench:history's SQLite database after 300,000 deliveries to one webhook) 83-107 ms as a
   * GROUP BY over the org's attempts, 0.01-0.4 ms by seeks. Attempts of deleted webhooks no longer come
   * back; the console's webhook table, the one reader, shows only webhooks that exist.
   */
  async latestAttemptPerWebhook(orgId: number, webhookIds?: string[]): Promise<AttemptRow[]> {
    if (webhookIds && !webhookIds.length) return [];
    const [inIds, param] = webhookIds ? this.idIn(webhookIds) : ['', null];
    const rows = await this.db.all<Raw>(
      `SELECT a.* FROM webhooks w
       JOIN attempts a ON a.webhook_id = w.id AND a.org_id = w.org_id
        AND a.started_at = (SELECT MAX(m.started_at) FROM attempts m WHERE m.webhook_id = w.id AND m.org_id = w.org_id)
       WHERE w.org_id = ?${webhookIds ? ` AND w.id ${inIds}` : ''} ORDER BY a.webhook_id, a.id`,
      webhookIds ? [orgId, param] : [orgId],
    );
    // (Attempts started in the same millisecond tie: the first by id stands for the webhook.)
    const seen = new Set<string>();
    return rows.map(toAttempt).filter((a) => !seen.has(a.webhookId) && seen.add(a.webhookId));
  }

  async requeueFailed(orgId: number, jobIds: string[], now: number): Promise<string[]> {
    if (!jobIds.length) return [];
    const rows = await this.db.all<Raw>(
      `UPDATE jobs SET status = 'PENDING', budget_start = try_count, next_attempt_at = ?, updated_at = ?, lease_owner = NULL, lease_until = NULL
       WHERE org_id = ? AND status = 'FAILED' AND id IN (${placeholders(jobIds.length)}) RETURNING id`,
      [now, now, orgId, ...jobIds],
    );
    return rows.map((r) => r.id as string);
  }

  /**
   * The creation time of the oldest event created before `before` with a job waiting in the event
   * log (above its lane's cursor, with no row of its own), or null: none here, where every job
   * has a jobs row.
   */
  protected async oldestLogWaiting(_before: number): Promise<number | null> {
    return null;
  }

  async pruneHistory(before: number, limit: number): Promise<PruneResult> {
    // An event still in the log above a cursor may have jobs that no row shows yet: the events
    // from its creation on are kept. (The log is read in order, so that is rarely any.)
    const waiting = await this.oldestLogWaiting(before);
    const cutoff = waiting === null ? before : Math.min(before, waiting);
    return this.db.tx(async (db) => {
      // Events' ids are time-ordered (UUIDv7): the oldest are the primary key's first rows.
      const picked = await db.all<Raw>(
        `SELECT e.id FROM events e WHERE e.id < ? AND e.created_at < ?
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.event_id = e.id AND j.status IN ('PENDING', 'RETRY'))
         ORDER BY e.id LIMIT ?`,
        [eventIdBefore(cutoff), cutoff, limit],
      );
      const ids = picked.map((r) => String(r.id));
      if (!ids.length) return { events: 0, jobs: 0, attempts: 0 };
      const [inIds, param] = this.idIn(ids);
      // Jobs of these events with ids of their own (resends, test sends) and their attempts.
      const own = (await db.all<Raw>(`SELECT id FROM jobs WHERE event_id ${inIds}`, [param])).map((r) => String(r.id));
      const [byEvent, byEventParams] = this.eventAttempts(ids);
      let attempts = (await db.run(`DELETE FROM attempts WHERE ${byEvent}`, byEventParams)).changes;
      if (own.length) {
        const [inOwn, ownParam] = this.idIn(own);
        attempts += (await db.run(`DELETE FROM attempts WHERE job_id ${inOwn}`, [ownParam])).changes;
      }
      const jobs = (await db.run(`DELETE FROM jobs WHERE event_id ${inIds}`, [param])).changes;
      await db.run(`DELETE FROM attachments WHERE event_id ${inIds}`, [param]);
      // The event log's rows of these events (every layout has the table), above a cursor as
      // well: left there, their jobs would read as waiting again once their attempts are gone.
      await db.run(`DELETE FROM log WHERE event_id ${inIds}`, [param]);
      const events = (await db.run(`DELETE FROM events WHERE id ${inIds}`, [param])).changes;
      return { events, jobs, attempts };
    });
  }

  async pruneValidations(before: number, limit: number): Promise<number> {
    return this.db.tx(async (db) => {
      // Through the partial index jobs_validation_age: validation jobs only, oldest first.
      const ids = (await db.all<Raw>(`SELECT id FROM jobs WHERE kind = 'validation' AND created_at < ? ORDER BY created_at LIMIT ?`, [before, limit])).map((r) => String(r.id));
      if (!ids.length) return 0;
      const [inIds, param] = this.idIn(ids);
      await db.run(`DELETE FROM attempts WHERE job_id ${inIds}`, [param]);
      return (await db.run(`DELETE FROM jobs WHERE id ${inIds}`, [param])).changes;
    });
  }

  async pruneIdempotencyKeys(now: number, limit: number): Promise<number> {
    const { changes } = await this.db.tx((db) =>
      db.run('DELETE FROM idempotency_keys WHERE (org_id, key) IN (SELECT org_id, key FROM idempotency_keys WHERE expires_at < ? LIMIT ?)', [now, limit]),
    );
    return changes;
  }

  /**
   * Each figure is a count over an index or the log's unread rows, never over the history: the
   * jobs rows waiting (jobs_due, partial on their states), and the dead letters of each org
   * (jobs_org_status and attempts_job_state, sought by org: `org_id IN` the orgs), less the
   * failed channel validations (jobs_validation_age, few: retention prunes them; their state and
   * org as expressions keep the planner off jobs_org_status, a row lookup per dead letter).
   */
  async queueStats(now: number): Promise<QueueStats> {
    const r = await this.db.get<Raw>(QUEUE_STATS, [now, now, now]);
    const log = await this.logWaiting();
    const jobsAt = r?.oldest == null ? null : Number(r.oldest);
    const oldestDueAt = jobsAt === null ? log.oldestAt : log.oldestAt === null ? jobsAt : Math.min(jobsAt, log.oldestAt);
    return { dueJobs: Number(r?.due ?? 0) + log.jobs, scheduledJobs: Number(r?.scheduled ?? 0), oldestDueAt, deadLetters: Number(r?.dead ?? 0) };
  }

  /** The event log's jobs not attempted yet, and the oldest one's creation: none here, where every job has a row. */
  protected async logWaiting(): Promise<{ jobs: number; oldestAt: number | null }> {
    return { jobs: 0, oldestAt: null };
  }

  async countByStatus(): Promise<Record<string, number>> {
    const [from, params] = this.jobsOf(null);
    const rows = await this.db.all<Raw>(`SELECT status, COUNT(*) AS n FROM ${from} GROUP BY status`, params);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}
