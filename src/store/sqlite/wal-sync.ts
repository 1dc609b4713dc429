// Durability without blocking the event loop. The connection runs with synchronous=OFF, so a
// COMMIT only writes its frames to the WAL file (in the OS page cache: already safe from kill -9
// of the process). A transaction that must survive power loss then waits for sync(), an fsync of
// the WAL file on libuv's thread pool, before its caller is answered. That is what
// synchronous=FULL does at COMMIT, except that the thread is free meanwhile and the commits that
// arrive during one fsync share the next. Bench (2026-11-22, one webhook, single publishes):
// with FULL the fsyncs on the event loop held a publish round trip at 3.0 ms (282/s at
// concurrency 1); NORMAL, with no fsync at all, gave 1.4 ms (563/s).
//
// Checkpoints copy WAL pages into the database file and later let the WAL be overwritten, so
// they must not run unsynced: automatic checkpoints are off, and checkpoints run with
// synchronous=FULL (fsync of the WAL before, of the database after) when enough was written.
// They run on a thread of their own (Checkpointer), with a second connection: in WAL mode a
// PASSIVE checkpoint runs beside the writer. Bench (2026-11-22, SQLite throughput): on the
// storage thread each checkpoint stopped all statements for 15-28 ms while 100,000 events were
// being published (4-5 ms later), and the delivery slots drained while their claims waited.
// A checkpoint beside a busy writer may never catch up with the WAL's end, and only a complete
// one lets the writer start the WAL over: past WAL_LIMIT_PAGES the writer checkpoints itself.
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.ts';

/** WAL pages not yet copied back after which a checkpoint runs (SQLite's own default threshold). */
const CHECKPOINT_PAGES = 1000;
/** WAL length (pages, ~4 KB each) at which the writer runs a checkpoint itself, so the WAL restarts. */
const WAL_LIMIT_PAGES = 16_000;

export class WalSync {
  private readonly walPath: string | null;
  private handle: fs.promises.FileHandle | null = null;
  private current: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private commitsSinceCheckpoint = 0;
  private readonly checkpointer: Checkpointer | null;

  constructor(
    private readonly conn: Database.Database,
    /** The database file and its -wal file, or null for an in-memory database (nothing to sync). */
    files: { db: string; wal: string } | null,
  ) {
    this.walPath = files?.wal ?? null;
    conn.pragma('synchronous = OFF');
    conn.pragma('wal_autocheckpoint = 0');
    this.checkpointer = files ? new Checkpointer(files.db) : null;
  }

  /** Resolves once everything written to the WAL before the call is on disk. */
  sync(): Promise<void> {
    if (!this.walPath) return Promise.resolve();
    if (!this.current) {
      this.current = this.fsync().finally(() => (this.current = null));
      return this.current;
    }
    // An fsync is running but may have started before our write: share the one after it.
    this.next ??= this.current
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.sync();
      });
    return this.next;
  }

  private async fsync(): Promise<void> {
    if (!this.handle) {
      this.handle = await fs.promises.open(this.walPath!, 'r');
    }
    await this.handle.sync();
  }

  /**
   * Called after each commit; now and then has the WAL copied back, by the checkpointer's thread
   * or, past WAL_LIMIT_PAGES or without that thread, here, synchronously and synced.
   */
  checkpointIfDue(): void {
    if (++this.commitsSinceCheckpoint < 64) return;
    this.commitsSinceCheckpoint = 0;
    const [{ log, checkpointed }] = this.conn.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[];
    if (log - Math.max(checkpointed, 0) < CHECKPOINT_PAGES && log < WAL_LIMIT_PAGES) return;
    if (this.checkpointer?.usable && log < WAL_LIMIT_PAGES) this.checkpointer.request();
    else this.checkpoint();
  }

  checkpoint(): void {
    this.conn.pragma('synchronous = FULL');
    try {
      this.conn.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      this.conn.pragma('synchronous = OFF');
    }
  }

  /** Before the connection closes: its final checkpoint must be a synced one. */
  async close(): Promise<void> {
    await this.checkpointer?.close();
    await this.current?.catch(() => undefined);
    await this.next?.catch(() => undefined);
    this.conn.pragma('synchronous = FULL');
    await this.handle?.close().catch(() => undefined);
    this.handle = null;
  }
}
