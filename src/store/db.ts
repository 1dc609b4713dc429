// The thin SQL executor each engine provides. Queries are written once with `?` placeholders
// (PostgreSQL's executor numbers them) because both engines accept the same SQL for every verb
// here: INSERT ... ON CONFLICT, RETURNING, LIMIT/OFFSET.
export interface Db {
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T | undefined>;
  run(sql: string, params?: unknown[]): Promise<{ changes: number }>;
  /**
   * Rows as arrays in the statement's column order, for the hot reads (claims, their events):
   * no object with a property per column is built for each row only to be mapped to another.
   * Bench (2026-11-23, 64 job rows of 16 columns, better-sqlite3): 3.5-5.0 us a row as objects
   * mapped to JobRow, 1.5-2.3 us as arrays mapped to JobRow.
   */
  rows(sql: string, params?: unknown[]): Promise<unknown[][]>;
  /**
   * One statement run once per parameter list, in order; the rows each run changed. SQLite runs
   * them in one synchronous loop over one prepared statement (see sql-queue.ts's attempt records).
   */
  runEach(sql: string, paramLists: unknown[][]): Promise<number[]>;
  /** Runs fn in one transaction; a thrown error rolls it back. */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * The same executor for writes that need not survive a power loss (they do survive the death
   * of the process): lease claims and releases, and attempt records. A lost lease is the same as
   * an expired one (the job becomes claimable again), and a lost attempt record leaves its job
   * leased, so it is delivered again: at least once. Waiting for the disk on them buys nothing.
   * Engines without such a mode return themselves (PostgreSQL: a pool for claims, see there).
   */
  readonly leases: Db;
}

export interface Migration {
  version: string;
  name: string;
  sql: string;
}
