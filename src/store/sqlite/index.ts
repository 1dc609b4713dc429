// SQLite engine: one better-sqlite3 connection in WAL mode. better-sqlite3 is synchronous, so the
// only way another request's statement could slip into an open transaction is across an `await`
// inside tx(); the `busy` gate makes every other caller wait for the transaction to finish.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db.ts';
import { LEDGER_DDL, readMigrations } from '../migrations.ts';
import { claimStatement } from '../sql-queue.ts';
import { SqlStore } from '../sql-store.ts';
import { ConflictError } from '../types.ts';

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
  return err;
}

class SqliteDb implements Db {
  private busy: Promise<void> | null = null;
  private cache: Map<string, Database.Statement>;
  private relaxedView: SqliteDb | null = null;
  private readonly relaxed: boolean;

  /** `durable`: set for the relaxed view of that executor, which shares its gate and statements. */
  constructor(
    private readonly conn: Database.Database,
    private readonly gated = true,
    private readonly durable: SqliteDb | null = null,
  ) {
    this.relaxed = durable !== null;
    this.cache = durable ? durable.cache : new Map();
  }

  get leases(): Db {
    if (this.relaxed) return this;
    return (this.relaxedView ??= new SqliteDb(this.conn, this.gated, this));
  }

  private busyOf(): Promise<void> | null {
    return this.durable ? this.durable.busy : this.busy;
  }

  /**
   * Runs one statement with synchronous=OFF when this is the relaxed view: the commit skips its
   * fsync. Bench (2026-11-22, 1,000 single publishes/s): one fsync per claim on top of the
   * publish's own took the worker's claims to a third of the service's busy time.
   */
  private exec<T>(fn: () => T): T {
    if (!this.relaxed) return fn();
    this.stmt('PRAGMA synchronous = OFF').run();
    try {
      return fn();
    } finally {
      this.stmt('PRAGMA synchronous = FULL').run();
    }
  }

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.conn.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  private async wait(): Promise<void> {
    while (this.gated && this.busyOf()) await this.busyOf();
  }

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    await this.wait();
    try {
      return this.exec(() => this.stmt(sql).all(...params) as T[]);
    } catch (err) {
      throw mapError(err);
    }
  }

  async get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    await this.wait();
    try {
      const s = this.stmt(sql);
      return this.exec(() => (s.reader ? s.get(...params) : (s.run(...params), undefined)) as T | undefined);
    } catch (err) {
      throw mapError(err);
    }
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    await this.wait();
    try {
      const s = this.stmt(sql);
      return this.exec(() => (s.reader ? { changes: s.all(...params).length } : { changes: s.run(...params).changes }));
    } catch (err) {
      throw mapError(err);
    }
  }

  /**
   * Group commit. Transactions asked for within one turn of the event loop run together inside
   * one BEGIN IMMEDIATE ... COMMIT, each in its own savepoint, so one that throws rolls back alone;
   * every caller resolves only after the shared COMMIT (with synchronous=FULL, after the fsync).
   * Bench (2026-11-22): at ~1,000 single publishes/s one COMMIT per transaction took 335 us each,
   * the largest single cost of the service; grouped, the fsync is paid once per turn.
   */
  async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (!this.gated) return fn(this); // already inside a transaction: nest flat
    if (this.durable) return this.durable.tx(fn);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve, reject } as PendingTx);
      if (this.pending.length === 1 && !this.committing) setImmediate(() => void this.commitGroups());
    });
  }

  private pending: PendingTx[] = [];
  private committing = false;

  private async commitGroups(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.pending.length) {
        await this.wait();
        const group = this.pending.splice(0, 512);
        await this.commitGroup(group);
      }
    } finally {
      this.committing = false;
    }
  }

  private async commitGroup(group: PendingTx[]): Promise<void> {
    let release!: () => void;
    this.busy = new Promise((r) => (release = r));
    const inner = new SqliteDb(this.conn, false);
    inner.cache = this.cache;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
    try {
      this.conn.exec('BEGIN IMMEDIATE');
      for (const t of group) {
        this.stmt('SAVEPOINT tx').run();
        try {
          outcomes.push({ ok: true, value: await t.fn(inner) });
          this.stmt('RELEASE tx').run();
        } catch (err) {
          this.stmt('ROLLBACK TO tx').run();
          this.stmt('RELEASE tx').run();
          outcomes.push({ ok: false, err: mapError(err) });
        }
      }
      this.conn.exec('COMMIT');
    } catch (err) {
      // BEGIN or COMMIT failed (disk full, I/O error): nothing of the group was kept.
      if (this.conn.inTransaction) this.conn.exec('ROLLBACK');
      for (const t of group) t.reject(err);
      return;
    } finally {
      this.busy = null;
      release();
    }
    group.forEach((t, i) => {
      const o = outcomes[i];
      if (o.ok) t.resolve(o.value);
      else t.reject(o.err);
    });
  }
}

interface PendingTx {
  fn: (db: Db) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (err: unknown) => void;
}

export class SqliteStore extends SqlStore {
  readonly engine = 'sqlite' as const;
  protected readonly db: Db;
  readonly conn: Database.Database;

  constructor(file: string) {
    super();
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.conn = new Database(file);
    this.conn.pragma('journal_mode = WAL');
    // FULL keeps an accepted event durable across power loss, not only process death.
    this.conn.pragma('synchronous = FULL');
    this.conn.pragma('foreign_keys = ON');
    this.conn.pragma('busy_timeout = 5000');
    this.db = new SqliteDb(this.conn);
  }

  protected claimSql(excluded: number): string {
    return claimStatement(excluded, '');
  }

  async migrate(): Promise<string[]> {
    const applied: string[] = [];
    this.conn.exec(LEDGER_DDL);
    // BEGIN IMMEDIATE takes SQLite's write lock: a second process migrating the same file waits
    // (busy_timeout) and then finds the ledger already up to date.
    const apply = this.conn.transaction(() => {
      const done = new Set((this.conn.prepare('SELECT version FROM schema_migrations').all() as { version: string }[]).map((r) => r.version));
      for (const m of readMigrations(MIGRATIONS_DIR)) {
        if (done.has(m.version)) continue;
        this.conn.exec(m.sql);
        this.conn.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
        applied.push(`${m.version}_${m.name}`);
      }
    });
    apply.immediate();
    return applied;
  }

  async close(): Promise<void> {
    this.conn.close();
  }
}
