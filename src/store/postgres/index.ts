// PostgreSQL engine: a pg Pool; the engine for many stateless processes sharing one database.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Db } from '../db.ts';
import { storedJobCount } from '../../domain/jobs.ts';
import { LEDGER_DDL, readMigrations, refuseNewerSchema } from '../migrations.ts';
import { Coalescer } from '../coalescer.ts';
import { claimStatement, oneStatement } from '../sql-queue.ts';
import { SqlStore } from '../sql-store.ts';
import { ConflictError, type JobRow, type PublishItem } from '../types.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
// Arbitrary constant shared by every HookRelay process: the advisory lock that serialises migrations.
export const MIGRATION_LOCK = 7_140_221_001;
/** How often a process asks again for the migration lock another holds. */
const MIGRATION_POLL_MS = 100;
const MIGRATION_WAIT_NOTICE_MS = 10_000;
/** The backend holding the migration lock (an advisory lock on a bigint: its high and low halves). */
const HOLDER_OF_MIGRATION_LOCK = `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
  AND ((classid::bigint << 32) | objid::bigint) = $1 LIMIT 1`;
/** Startup options of every connection: no JIT compilation (see the constructor). */
const NO_JIT = '-c jit=off';

/**
 * A migration whose first line is this runs outside a transaction, one statement at a time: for
 * CREATE INDEX CONCURRENTLY, which builds an index on a large table without holding its writes
 * back (a plain CREATE INDEX blocks every attempt record of a rolling upgrade's older
 * processes while it runs). Each of its statements must be safe to run again: a migration that
 * stops halfway is run again from its start.
 */
const NO_TRANSACTION = /^-- no transaction\n/;

/** A migration's statements, split at the semicolons that end a line. */
function statementsOf(sql: string): string[] {
  return sql.split(/;[ \t]*$/m).map((s) => s.trim()).filter((s) => s.split('\n').some((line) => line.trim() && !line.trim().startsWith('--')));
}

// BIGINT columns hold epoch milliseconds and org ids, all well inside Number's exact range.
export const pgTypes = {
  getTypeParser: (oid: number, format?: any) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)),
};

const CONSTRAINTS: Record<string, ConflictError['constraint']> = {
  webhook_events_one_liveboard: 'webhook_liveboard',
  webhooks_org_id_name_key: 'webhook_name',
  orgs_name_key: 'org_name',
  users_name_key: 'user_name',
};

function mapError(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e?.code === '23505') return new ConflictError(CONSTRAINTS[e.constraint ?? ''] ?? 'other', e.message ?? 'unique violation');
  if (e?.code === '23503') return new ConflictError('missing_reference', e.message ?? 'foreign key violation');
  return err;
}

/** `?` placeholders to `$n`. Our SQL never contains a literal question mark. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Our SQL with `$n` placeholders, and the prepared-statement name of those that have one. */
const texts = new Map<string, { text: string; name?: string }>();
let prepared = 0;
/**
 * Statements with few parameters run as named prepared statements: each connection parses and
 * plans them once, then only binds. That covers the hot path (claims, the unnest batch writes,
 * event reads), whose texts do not vary with the batch size. Bounded, as each name costs memory
 * in every server connection. A plan cached while the tables were small is replaced when they
 * are analyzed (see PostgresStore.grew).
 */
const PREPARED_MAX = 200;
const PREPARED_MAX_PARAMS = 64;

class PgDb implements Db {
  constructor(
    private readonly client: pg.Pool | pg.PoolClient,
    /** Where claims and lease releases run (see PostgresStore's lease pool); this one if absent. */
    private readonly leaseDb?: Db,
  ) {}

  get leases(): Db {
    return this.leaseDb ?? this;
  }

  private statement(sql: string, params: unknown[]): { text: string; name?: string } {
    let t = texts.get(sql);
    if (!t) {
      t = { text: numbered(sql) };
      if (params.length <= PREPARED_MAX_PARAMS && prepared < PREPARED_MAX) t.name = `hookrelay_${++prepared}`;
      // Texts of many-parameter statements vary with their batch; keep this map bounded too.
      if (texts.size > 5000) texts.clear();
      texts.set(sql, t);
    }
    return t;
  }

  private async query(sql: string, params: unknown[], rowMode?: 'array'): Promise<pg.QueryResult> {
    const st = this.statement(sql, params);
    try {
      const config = { text: st.text, name: st.name, values: params };
      return await (rowMode ? this.client.query({ ...config, rowMode }) : this.client.query(config));
    } catch (err) {
      // A rolling upgrade may add a column under a statement prepared as SELECT *: the server
      // then refuses the cached plan ("cached plan must not change result type", 0A000). That
      // text runs unprepared from now on, and at once again outside a transaction.
      if (st.name && (err as { code?: string }).code === '0A000') {
        st.name = undefined;
        if (this.client instanceof pg.Pool) return this.query(sql, params, rowMode);
      }
      throw mapError(err);
    }
  }

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  async rows(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    return (await this.query(sql, params, 'array')).rows as unknown[][];
  }

  /** One statement after another: the queue's batch writes use array parameters here instead. */
  async runEach(sql: string, paramLists: unknown[][]): Promise<number[]> {
    const changes: number[] = [];
    for (const params of paramLists) changes.push((await this.run(sql, params)).changes);
    return changes;
  }

  async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (!(this.client instanceof pg.Pool)) return fn(this);
    const client = await this.client.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgDb(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw mapError(err);
    } finally {
      client.release();
    }
  }
}

export class PostgresStore extends SqlStore {
  readonly engine = 'postgres' as const;
  protected readonly db: Db;
  readonly pool: pg.Pool;
  /**
   * Claims and lease releases have connections of their own, planned to walk the due-jobs index
   * in order. A queue table's statistics are nearly always stale (it grows from empty to 100,000
   * rows within seconds, long before autovacuum analyzes it), and with them the planner chose a
   * bitmap scan of every due job and a sort, per claim, so a claim's cost grew with the backlog.
   * Measured (2026-11-22, 100,000 events to one webhook, durable cluster, pg_stat_statements):
   * 61 us per claimed job; EXPLAIN ANALYZE of one 32-job claim behind a backlog: 1,241 buffers,
   * 6.8 ms with the bitmap plan, 695 buffers, 1.2 ms walking the index.
   * The event log's reads run here as well, and with them the check of which jobs of a lane taken
   * over already have their state written (event-log.ts, stateWritten): planned while attempts was
   * nearly empty, that lookup of 64 job ids scanned the whole table, and a worker started on a
   * backlog (bench:split, deliver step, 50,000 events; auto_explain) ran it 700 times for 24.9 s
   * of server time, PostgreSQL at 525-549 us of CPU per delivery. No statement of this pool has a
   * reason to scan a table: sequential scans are off too.
   */
  private readonly leasePool: pg.Pool;

  constructor(
    protected readonly url: string,
    poolSize = 10,
  ) {
    super();
    // No JIT compilation: every statement here is a short OLTP one, and JIT compiles a plan at
    // each run once its estimated cost passes jit_above_cost, which estimates can do without the
    // work being large. Measured (2026-12-07, auto_explain, 300,000 deliveries): the job history
    // of one job id ran in 0.4 ms and compiled for 424 ms (an estimate of 13.5 million from the
    // planner's 100 rows per JSON array of the log's waiting jobs).
    this.pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes, options: NO_JIT });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
    // One worker loop claims one batch at a time; releases are rare.
    // The planner settings travel in the connection's startup packet: in force before its first
    // query, with no statement of their own.
    this.leasePool = new pg.Pool({ connectionString: url, max: 2, types: pgTypes, options: `${NO_JIT} -c enable_bitmapscan=off -c enable_sort=off -c enable_seqscan=off` });
    this.leasePool.on('error', () => undefined);
    this.db = new PgDb(this.pool, new PgDb(this.leasePool));
    // A statement of them holds at most what one API batch may (1,000 events); idempotency TTL
    // plays no part in them.
    this.publishes = new Coalescer((items) => super.publishEvents(items, 0), {
      maxInFlight: Math.max(1, Math.floor(poolSize / 2)),
      maxItems: 1000,
      rowError: (err) => err instanceof ConflictError || /^2[23]/.test((err as { code?: string })?.code ?? ''),
    });
  }

  protected override readonly arrayParams = true;

  protected claimSql(excluded: 'none' | 'array' | 'json'): string {
    return claimStatement(excluded, 'FOR UPDATE SKIP LOCKED');
  }

  /**
   * By event id (attempts_event, migration 011), which also finds the attempts of the event's
   * jobs with ids of their own. Not by the job ids' prefix as on SQLite: under a database's
   * collation '.' and '/' may be ignored (glibc's en_US.UTF-8, a common default, has
   * 'n.e.0' < 'n.e/' false), and that range then found none of an event's jobs.
   */
  protected override eventAttempts(eventIds: string[]): [sql: string, params: unknown[]] {
    return ['event_id = ANY(CAST(? AS TEXT[]))', [eventIds]];
  }

  async migrate(opts: { onWaiting?: (message: string) => void; noticeEveryMs?: number } = {}): Promise<string[]> {
    const client = await this.pool.connect();
    const applied: string[] = [];
    try {
      // A long migration of another process (an index built CONCURRENTLY on a big table) was
      // waited for without a word, the process not yet listening (operator audit, 2026-12-08).
      const started = Date.now();
      let toldAt = started;
      const waiting = async () => {
        if (!opts.onWaiting || Date.now() - toldAt < (opts.noticeEveryMs ?? MIGRATION_WAIT_NOTICE_MS)) return;
        toldAt = Date.now();
        const holder = await client.query(HOLDER_OF_MIGRATION_LOCK, [MIGRATION_LOCK]).then((r) => r.rows[0]?.pid ?? null, () => null);
        opts.onWaiting(`waiting ${Math.round((toldAt - started) / 1000)} s for the migrations another process is running${holder ? ` (PostgreSQL backend pid ${holder})` : ''}; this process starts once they are done`);
      };
      // Polled, not waited for in pg_advisory_lock: a statement waiting there holds a snapshot,
      // and CREATE INDEX CONCURRENTLY (NO_TRANSACTION) waits for every older snapshot to end, so
      // a process migrating would wait for one waiting for its lock: "deadlock detected" after a
      // second (test/postgres-log.test.ts), one of them failing its start.
      while (!(await client.query('SELECT pg_try_advisory_lock($1) AS ok', [MIGRATION_LOCK])).rows[0].ok) {
        await sleep(MIGRATION_POLL_MS);
        await waiting();
      }
      try {
        await client.query(LEDGER_DDL);
        const done = new Set<string>((await client.query('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
        const migrations = readMigrations(MIGRATIONS_DIR);
        refuseNewerSchema(done, migrations);
        for (const m of migrations) {
          if (done.has(m.version)) continue;
          const record = () => client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
          if (NO_TRANSACTION.test(m.sql)) {
            try {
              for (const statement of statementsOf(m.sql)) await client.query(statement);
              await record();
            } catch (err) {
              throw new Error(`migration ${m.version}_${m.name} failed (it runs again from its start): ${(err as Error).message}`);
            }
          } else {
            await client.query('BEGIN');
            try {
              await client.query(m.sql);
              await record();
              await client.query('COMMIT');
            } catch (err) {
              await client.query('ROLLBACK');
              throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`);
            }
          }
          applied.push(`${m.version}_${m.name}`);
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    } finally {
      client.release();
    }
    return applied;
  }

  /** Jobs this process has inserted, the count at which it next analyzes, the analyze under way. */
  private inserted = 0;
  private analyzeAt = FIRST_ANALYZE_AT;
  private analyzing: Promise<void> = Promise.resolve();

  /**
   * Publishes that are one statement each (see oneStatement) and arrive while half the pool is
   * busy with them go together (coalescer.ts). Bench (2026-11-23, 1,000 single publishes/s just
   * after start, cold code): every publish its own statement and commit, the pool's queue grew
   * to ~30 waiting and the bench's warm-up (first 3 s) measured p50 733 and 882 ms; grouped,
   * 86 and 60 ms. The steady latency phase and the throughput phase did not change beyond the
   * noise (service CPU per event at 1,000/s 647-660 -> 613-616 us).
   */
  private readonly publishes: Coalescer<PublishItem, { eventId: string; created: boolean }>;

  override async publishEvents(items: PublishItem[], idempotencyTtlMs: number) {
    const results = oneStatement(items) ? await this.publishes.add(items) : await super.publishEvents(items, idempotencyTtlMs);
    this.grew(storedJobCount(items, results));
    return results;
  }

  override async insertJobs(jobs: JobRow[]): Promise<void> {
    await super.insertJobs(jobs);
    this.grew(jobs.length);
  }

  /**
   * Analyzes jobs when this process has inserted 1,000, 4,000, 16,000, ... jobs.
   * Each connection caches the plans of its prepared statements, made from the statistics of the
   * moment, and keeps them until the tables are analyzed; autovacuum first analyzes a new
   * database's tables a minute or more after they fill. With plans made on a nearly empty jobs
   * table, every completion scanned the whole table. auto_explain (2026-11-23, durable cluster,
   * 1,000 single publishes/s): 14-16 ms per completion at 33,000 jobs, latency p50 11-32 ms.
   * (Planning the completion on every call instead: 0.45 ms of parse and plan per call, ~140 us
   * of server CPU per event at that rate.) Past a few hundred thousand jobs, autovacuum's own
   * schedule is the one that matters. Jobs only: the event reads go by primary key whatever the
   * statistics say (test/postgres-plans.test.ts), and sampling events' 1 KB rows made the four
   * analyzes of a 100,000-event run cost 845 ms of server time, ~270 ms for jobs alone.
   */
  private grew(jobs: number): void {
    this.inserted += jobs;
    if (this.inserted < this.analyzeAt) return;
    this.analyzeAt = this.inserted * 4;
    this.analyzing = this.analyzing.then(() => this.pool.query('ANALYZE jobs')).then(
      () => undefined,
      () => undefined, // not the owner, or the database is going away: autovacuum still does it
    );
  }

  /** Resolves when the analyze this process started last has finished. */
  statisticsSettled(): Promise<void> {
    return this.analyzing;
  }

  async close(): Promise<void> {
    await this.analyzing;
    await Promise.all([this.pool.end(), this.leasePool.end()]);
  }
}

/** Jobs inserted by this process before its first ANALYZE (see PostgresStore.grew). */
const FIRST_ANALYZE_AT = 1000;
