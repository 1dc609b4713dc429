// SQLite engine: one better-sqlite3 connection in WAL mode. better-sqlite3 is synchronous, so the
// only way another request's statement could slip into an open transaction is across an `await`
// inside tx(); the `busy` gate makes every other caller wait for the transaction to finish.
// Transactions are group-committed and made durable by an fsync off the event loop (wal-sync.ts).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db.ts';
import { LEDGER_DDL, readMigrations, refuseNewerSchema } from '../migrations.ts';
import { claimStatement } from '../sql-queue.ts';
import { SqlStore } from '../sql-store.ts';
import { ConflictError } from '../types.ts';
import { WalSync } from './wal-sync.ts';

/** Budget of the prepared-statement cache, in characters of SQL text (see stmt()). */
const STATEMENT_CACHE_CHARS = 256 * 1024;

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

function mapError(err: unknown): unknown {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = e.message ?? '';
    if (m.includes('webhook_events.org_id')) return new ConflictError('webhook_liveboard', m);
    if (m.includes('webhooks.org_id, webhooks.name')) return new ConflictError('webhook_name', m);
    if (m.includes('orgs.name')) return new ConflictError('org_name', m);
    if (m.includes('users.name')) return new ConflictError('user_name', m);
    return new ConflictError('other', m);
  }
  if (e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new ConflictError('missing_reference', e.message ?? 'foreign key');
  return err;
}

/** What the views of one connection share: its statements, the transaction gate and the WAL. */
interface Shared {
  conn: Database.Database;
  cache: Map<string, Database.Statement>;
  /** Total SQL text of the cached statements. */
  cachedChars: number;
  wal: WalSync;
  /** Set while a transaction group runs: other statements wait for it. */
  busy: Promise<void> | null;
  pending: PendingTx[];
  committing: boolean;
}


/**
 * The database holds password hashes, event payloads and response bodies: readable by its owner
 * only. A new file is made 0600 before SQLite opens it (its -wal and -shm files take the
 * database's mode); an existing one is narrowed (it was 0644, readable by every local user:
 * security audit, 2026-12-08), unless the process may not (a file of another owner).
 */
/** See journal_size_limit in SqliteStore's constructor. */
export const WAL_FILE_LIMIT_BYTES = 32 * 1024 * 1024;

function ownerOnly(file: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  try {
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  } catch {
    // Not writable here: SQLite's open says why.
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
    } catch {
      // Absent (-wal, -shm before the first write) or not ours to change.
    }
  }
}
/**
 * An executor over the shared connection. The top-level one (gated) waits for running
 * transactions and, for writes, for the WAL to be on disk; its `leases` view skips that wait;
 * the one handed to transaction bodies (not gated) runs inside the open transaction.
 */
class SqliteDb implements Db {
  private relaxedView: SqliteDb | null = null;

  constructor(
    private readonly sh: Shared,
    private readonly gated = true,
    private readonly relaxed = false,
  ) {}

  get leases(): Db {
    if (this.relaxed || !this.gated) return this;
    return (this.relaxedView ??= new SqliteDb(this.sh, true, true));
  }

  private stmt(sql: string): Database.Statement {
    const { cache } = this.sh;
    let s = cache.get(sql);
    if (s) {
      // Least recently used goes first: a Map iterates in insertion order.
      cache.delete(sql);
      cache.set(sql, s);
      return s;
    }
    s = this.sh.conn.prepare(sql);
    cache.set(sql, s);
    this.sh.cachedChars += sql.length;
    // Batch statements (multi-row INSERTs, completions, IN lists) come in many shapes, and a
    // prepared statement's native memory grows with its text: a 1,875-row INSERT is ~90 KB of
    // SQL. The cache is bounded by text, not by count (it held up to 2,000 statements of any
    // size); in the bench's shapes this made no measurable difference, it bounds the worst case.
    for (const [key, old] of cache) {
      if (this.sh.cachedChars <= STATEMENT_CACHE_CHARS || cache.size <= 1) break;
      cache.delete(key);
      this.sh.cachedChars -= key.length;
      void old;
    }
    return s;
  }

  private async wait(): Promise<void> {
    while (this.gated && this.sh.busy) await this.sh.busy;
  }

  /** Runs one statement; a write outside a transaction is answered once it is durable. */
  private async exec<T>(sql: string, run: (s: Database.Statement) => T): Promise<T> {
    await this.wait();
    let s: Database.Statement;
    let result: T;
    try {
      s = this.stmt(sql);
      result = run(s);
    } catch (err) {
      throw mapError(err);
    }
    if (this.gated && !this.relaxed && !s.readonly) {
      this.sh.wal.checkpointIfDue();
      await this.sh.wal.sync();
    }
    return result;
  }

  all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.exec(sql, (s) => s.all(...params) as T[]);
  }

  get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return this.exec(sql, (s) => (s.reader ? s.get(...params) : (s.run(...params), undefined)) as T | undefined);
  }

  rows(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    // raw() is a mode of the (cached, shared) statement: set for this call only.
    return this.exec(sql, (s) => {
      s.raw(true);
      try {
        return s.all(...params) as unknown[][];
      } finally {
        s.raw(false);
      }
    });
  }

  run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return this.exec(sql, (s) => (s.reader ? { changes: s.all(...params).length } : { changes: s.run(...params).changes }));
  }

  runEach(sql: string, paramLists: unknown[][]): Promise<number[]> {
    return this.exec(sql, (s) => paramLists.map((params) => s.run(...params).changes));
  }

  /**
   * Group commit. Transactions asked for within one turn of the event loop, or while the previous
   * group waits for its fsync, run together inside one BEGIN IMMEDIATE ... COMMIT (one that throws
   * fails alone: see commitGroup); every caller resolves only once the COMMIT is
   * on disk. Bench (2026-11-22): at ~1,000 single publishes/s one COMMIT per transaction took
   * 335 us each, the largest single cost of the service.
   */
  async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (!this.gated) return fn(this); // already inside a transaction: nest flat
    return new Promise<T>((resolve, reject) => {
      this.sh.pending.push({ fn, resolve, reject, durable: !this.relaxed } as PendingTx);
      if (this.sh.pending.length === 1 && !this.sh.committing) setImmediate(() => void this.commitGroups());
    });
  }

  private async commitGroups(): Promise<void> {
    if (this.sh.committing) return;
    this.sh.committing = true;
    try {
      while (this.sh.pending.length) {
        await this.wait();
        await this.commitGroup(this.sh.pending.splice(0, 512));
      }
    } finally {
      this.sh.committing = false;
    }
  }

  private async commitGroup(group: PendingTx[]): Promise<void> {
    const { conn } = this.sh;
    let release!: () => void;
    this.sh.busy = new Promise((r) => (release = r));
    let outcomes: Outcome[] = [];
    let failed: unknown = null;
    try {
      const together = await this.runInOne(group);
      // One of them threw and the whole group was rolled back: each goes again in a transaction
      // of its own, so only the one that throws fails. (The store's transactions only run SQL, so
      // running one again does the same.)
      if (together) outcomes = together;
      else for (const t of group) outcomes.push(await this.runAlone(t));
      this.sh.wal.checkpointIfDue();
    } catch (err) {
      // BEGIN or COMMIT failed (disk full, I/O error): nothing of the group was kept.
      if (conn.inTransaction) conn.exec('ROLLBACK');
      failed = err;
    } finally {
      // Other statements may run while the fsync is under way (when it runs on libuv's pool, see
      // INLINE_FSYNC in wal-sync.ts); new transactions queue meanwhile.
      this.sh.busy = null;
      release();
    }
    const settle = (t: PendingTx, i: number) => {
      const o = outcomes[i];
      if (failed) t.reject(failed);
      else if (o.ok) t.resolve(o.value);
      else t.reject(o.err);
    };
    // Transactions of the relaxed view are answered once committed (in the OS's cache, safe from
    // kill -9); the group's fsync, if any of it must survive power loss, answers the others.
    group.forEach((t, i) => !t.durable && settle(t, i));
    if (!group.some((t) => t.durable)) return;
    if (!failed) await this.sh.wal.sync().catch((err) => (failed = err));
    group.forEach((t, i) => t.durable && settle(t, i));
  }

  /**
   * The transactions in one BEGIN IMMEDIATE ... COMMIT, without a savepoint each: null, all rolled
   * back, if one throws. A savepoint made SQLite copy every page the transaction changed into a
   * statement journal (so that it could roll back alone), which past 64 KB it spilled to a temp
   * file in /var/tmp, created, written and unlinked again: ~6 of 10 transactions (strace, store
   * alone, 5,000 deliveries: 127 files). Kept in memory instead (temp_store = MEMORY) the journals
   * raised the fan-out's peak RSS from 169-176 to 178-196 MB. Store alone (publish, claim, attempt
   * record), 40,000 deliveries, five alternated runs each, us of CPU per delivery: 49-72 with
   * savepoints, 46-67 with their journals in memory, 46-58 without savepoints (lower than with
   * savepoints in 5 of 5); fan-out peak RSS 165-166 MB in two full runs.
   */
  private async runInOne(group: PendingTx[]): Promise<Outcome[] | null> {
    const { conn } = this.sh;
    const inner = new SqliteDb(this.sh, false);
    const outcomes: Outcome[] = [];
    conn.exec('BEGIN IMMEDIATE');
    for (const t of group) {
      try {
        outcomes.push({ ok: true, value: await t.fn(inner) });
      } catch (err) {
        if (conn.inTransaction) conn.exec('ROLLBACK');
        if (group.length > 1) return null;
        return [{ ok: false, err: mapError(err) }];
      }
    }
    conn.exec('COMMIT');
    return outcomes;
  }

  /** One transaction on its own; a failed BEGIN or COMMIT is its own failure only. */
  private async runAlone(t: PendingTx): Promise<Outcome> {
    try {
      return (await this.runInOne([t]))![0];
    } catch (err) {
      if (this.sh.conn.inTransaction) this.sh.conn.exec('ROLLBACK');
      return { ok: false, err: mapError(err) };
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

interface PendingTx {
  fn: (db: Db) => Promise<unknown>;
  /** Answered only once the WAL is on disk (false: from the relaxed view, see Db.leases). */
  durable: boolean;
  resolve: (v: unknown) => void;
  reject: (err: unknown) => void;
}

export class SqliteStore extends SqlStore {
  readonly engine = 'sqlite' as const;
  /** A BLOB crosses to the worker as it is: the bytes it signs and sends (sql-queue.ts, EVENT_COLUMNS_BYTES). */
  protected override readonly payloadBytes = true;
  protected readonly db: Db;
  readonly conn: Database.Database;

  private readonly wal: WalSync;

  constructor(file: string) {
    super();
    const memory = file === ':memory:';
    if (!memory) ownerOnly(file);
    this.conn = new Database(file);
    this.conn.pragma('journal_mode = WAL');
    this.conn.pragma('foreign_keys = ON');
    this.conn.pragma('busy_timeout = 5000');
    // 8 MB of page cache instead of better-sqlite3's 16 MB: the OS caches the file as well, and
    // the service's peak RSS is budgeted (bench: -5 MB at the fan-out peak with 4 MB, no change
    // in deliveries/s within the noise).
    this.conn.pragma('cache_size = -8000');
    // The WAL file is cut back to 32 MB when it starts over (twice what it reaches in steady
    // writes): grown by a burst, or behind a long read, it kept its largest size until the
    // process stopped (93 MB in a soak, 2026-12-08).
    this.conn.pragma(`journal_size_limit = ${WAL_FILE_LIMIT_BYTES}`);
    // Durable like synchronous=FULL (an accepted event survives power loss, not only process
    // death), with the fsync off the event loop: see wal-sync.ts.
    this.wal = new WalSync(this.conn, memory ? null : { db: path.resolve(file), wal: `${path.resolve(file)}-wal` });
    this.db = new SqliteDb({ conn: this.conn, cache: new Map(), cachedChars: 0, wal: this.wal, busy: null, pending: [], committing: false });
  }

  protected claimSql(excluded: 'none' | 'array' | 'json'): string {
    return claimStatement(excluded, '', 'rowid');
  }

  async migrate(): Promise<string[]> {
    const applied: string[] = [];
    this.conn.exec(LEDGER_DDL);
    // BEGIN IMMEDIATE takes SQLite's write lock: a second process migrating the same file waits
    // (busy_timeout) and then finds the ledger already up to date.
    const apply = this.conn.transaction(() => {
      const done = new Set((this.conn.prepare('SELECT version FROM schema_migrations').all() as { version: string }[]).map((r) => r.version));
      const migrations = readMigrations(MIGRATIONS_DIR);
      refuseNewerSchema(done, migrations);
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        this.conn.exec(m.sql);
        this.conn.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
        applied.push(`${m.version}_${m.name}`);
      }
    });
    apply.immediate();
    await this.wal.sync();
    return applied;
  }

  async close(): Promise<void> {
    await this.wal.close();
    this.conn.close();
  }
}
