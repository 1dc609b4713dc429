// Opens the store named by a database URL: postgres:// for PostgreSQL, anything else a SQLite file.
import { isPostgresUrl } from '../config.ts';
import type { Store } from './types.ts';

/** Loads only the engine in use: pg is ~15 MB of memory a SQLite deployment does not need. */
export async function openStore(url: string, opts: {
    pgPoolSize?: number;
    sqliteThread?: boolean;
    /** SQLite on its thread: called if that thread dies while the store is open. */
    onFatal?: (err: Error) => void;
  } = {},): Promise<Store> {
  if (isPostgresUrl(url)) {
    const { PostgresStore } = await import('./postgres/index.ts');
    return new PostgresStore(url, opts.pgPoolSize);
  }
  if (opts.sqliteThread) {
    const { openThreadedSqlite } = await import('./sqlite/threaded.ts');
    return openThreadedSqlite(url, opts.onFatal);
  }
  const { SqliteStore } = await import('./sqlite/index.ts');
  return new SqliteStore(url);
}

export type { Store } from './types.ts';
