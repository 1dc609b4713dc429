// Durability without blocking the event loop. The connection runs with synchronous=OFF, so a
// COMMIT only writes its frames to the WAL file (in the OS page cache: already safe from kill -9
// of the process). A transaction that must survive power loss then waits for sync(), an fsync of
// the WAL file off the event loop (on the storage thread: see INLINE_FSYNC), before its caller is
// answered. That is what synchronous=FULL does at COMMIT, except that the event loop is free
// meanwhile and the commits that arrive during one fsync share the next. Bench (2026-11-22, one
// webhook, single publishes): with FULL the fsyncs on the event loop held a publish round trip at
// 3.0 ms (282/s at concurrency 1); NORMAL, with no fsync at all, gave 1.4 ms (563/s).
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
import { isMainThread } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { Checkpointer } from './checkpointer.ts';

/** WAL pages not yet copied back after which a checkpoint runs (SQLite's own default threshold). */
const CHECKPOINT_PAGES = 1000;
/** WAL length (pages, ~4 KB each) at which the writer runs a checkpoint itself, so the WAL restarts. */
export const WAL_LIMIT_PAGES = 16_000;
/**
 * WAL length past which the writer, once the checkpoint thread has finished one, copies back the
 * pages written while it ran (fewer than CHECKPOINT_PAGES), so that its next commit starts the WAL
 * over. A checkpoint beside a busy writer never ends caught up with it. Bench (2026-11-23, SQLite
 * throughput phase, 100,000 deliveries): without this the WAL grew to 16,000-22,000 pages between
 * restarts and the writer checkpointed itself 8 times at WAL_LIMIT_PAGES, 23-67 ms each (342 ms),
 * answering nothing meanwhile; with it, 26 times, 5-28 ms each (330 ms), the WAL at most 7,835
 * pages. Deliveries/s in three alternated pairs: 10,477/11,280/11,188 against 10,189/10,552/12,760,
 * no difference beyond the noise; what it buys is shorter stalls of the storage thread.
 */
const RESTART_PAGES = 4_000;

/**
 * On the storage thread (threaded.ts) the fsync runs on that thread itself: the calls that arrive
 * during it (publishes, and now also claims and attempt records, which a pool thread's fsync let
 * run meanwhile) wait in its message queue, and its transactions commit together next. On the
 * main thread (CLI commands, tests) it stays on libuv's pool, off the event loop. Why: at 1,000
 * single publishes/s the hand-off to a pool thread and back (two more thread wake-ups per commit
 * on two cores) cost more than the fsync. Bench (2026-12-06, bench/lowrate.mjs, 1,000
 * publishes/s for 10 s, three alternated pairs): service CPU per event 866/894/826 us against
 * 1,010/975/999 (threads other than main and storage 81-97 against 184-190), latency p50 1.5-1.8
 * against 2.3-2.8 ms, p99 14.0/24.7/20.5 against 22.1/21.5/27.3 ms. Throughput phase (ABBA):
 * 7,920/6,541 against 7,786/6,975 deliveries/s, no difference beyond the noise.
 */
const INLINE_FSYNC = !isMainThread;

export class WalSync {
  private readonly walPath: string | null;
  private handle: fs.promises.FileHandle | null = null;
  private current: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private commitsSinceCheckpoint = 0;
  /** The checkpoint thread finished one: the next commit may copy back what it left (RESTART_PAGES). */
  private catchUp = false;
  private readonly checkpointer: Checkpointer | null;

  constructor(
    private readonly conn: Database.Database,
    /** The database file and its -wal file, or null for an in-memory database (nothing to sync). */
    files: { db: string; wal: string } | null,
  ) {
    this.walPath = files?.wal ?? null;
    conn.pragma('synchronous = OFF');
    conn.pragma('wal_autocheckpoint = 0');
    this.checkpointer = files ? new Checkpointer(files.db, () => (this.catchUp = true)) : null;
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
    if (INLINE_FSYNC) fs.fsyncSync(this.handle.fd);
    else await this.handle.sync();
  }

  /**
   * Called after each commit; now and then has the WAL copied back, by the checkpointer's thread
   * or, past WAL_LIMIT_PAGES or without that thread, here, synchronously and synced.
   */
  checkpointIfDue(): void {
    const catchUp = this.catchUp;
    this.catchUp = false;
    // A catch-up look does not restart the count: the regular one every 64 commits still comes.
    const regular = ++this.commitsSinceCheckpoint >= 64;
    if (!regular && !catchUp) return;
    if (regular) this.commitsSinceCheckpoint = 0;
    const [{ log, checkpointed }] = this.conn.pragma('wal_checkpoint(NOOP)') as { log: number; checkpointed: number }[];
    if (log >= WAL_LIMIT_PAGES) return this.checkpoint();
    if (log - Math.max(checkpointed, 0) >= CHECKPOINT_PAGES) {
      if (this.checkpointer?.usable) this.checkpointer.request();
      else this.checkpoint();
    } else if (catchUp && log >= RESTART_PAGES) this.checkpoint();
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
