// Opens the store named by a database URL: postgres:// for PostgreSQL, anything else a SQLite file.
import { isPostgresUrl } from '../config.ts';
import { PostgresStore } from './postgres/index.ts';
import { SqliteStore } from './sqlite/index.ts';
import type { Store } from './types.ts';

export function openStore(url: string, opts: { pgPoolSize?: number } = {}): Store {
  return isPostgresUrl(url) ? new PostgresStore(url, opts.pgPoolSize) : new SqliteStore(url);
}

export type { Store } from './types.ts';
