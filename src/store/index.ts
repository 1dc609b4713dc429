// Opens the store named by a database URL: postgres:// for PostgreSQL, anything else a SQLite file.
import { isPostgresUrl } from '../config.ts';
import type { Store } from './types.ts';

/** Loads only the engine in use: pg is ~15 MB of memory a SQLite deployment does not need. */
export async function openStore(url: string, opts: {
    pgPoolSize?: number;
    sqliteThread?: boolean;
    /** SQLite: the queue's layout; the event log unless told otherwise (see sqlite/log-store.ts). */
    sqliteQueue?: 'log' | 'jobs';
    /** PostgreSQL: the queue's layout (see postgres/log-store.ts). */
    pgQueue?: 'log' | 'jobs';
    /** SQLite on its thread: called if that thread dies while the store is open. */
    onFatal?: (err: Error) => void;
  } = {},): Promise<Store> {
  if (isPostgresUrl(url)) {
    const { openPostgres } = await import('./postgres/log-store.ts');
    return openPostgres(url, opts.pgPoolSize, opts.pgQueue ?? 'log');
  }
  if (opts.sqliteThread) {
    const { openThreadedSqlite } = await import('./sqlite/threaded.ts');
    return openThreadedSqlite(url, opts.onFatal, opts.sqliteQueue ?? 'log');
  }
  const { openSqlite } = await import('./sqlite/log-store.ts');
  return openSqlite(url, opts.sqliteQueue ?? 'log');
}

export type { Store } from './types.ts';
