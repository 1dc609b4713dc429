// Numbered, append-only SQL migrations per engine (src/store/<engine>/migrations/NNN_name.sql),
// recorded in the schema_migrations ledger. Locking differs per engine and lives with the engine.
import fs from 'node:fs';
import path from 'node:path';
import type { Migration } from './db.ts';

export function readMigrations(dir: string): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.slice(0, 3), name: f.slice(4, -4), sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

export const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;
