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

/** The database holds migrations this release does not know: it was migrated by a newer release. */
export class NewerSchemaError extends Error {
  // By name: the error crosses from the SQLite storage thread without its class (wire.ts).
  override name = 'NewerSchemaError';
}

/**
 * Refuses a database a newer release has migrated. An older release started on one without a
 * word and did not read what the newer one had written: events queued in its event log were not
 * delivered, and jobs whose state was kept only in attempt rows were missing from the history
 * (upgrade testing, 2026-12-07, downgrading to 1452c56).
 */
export function refuseNewerSchema(applied: Iterable<string>, known: Migration[]): void {
  const versions = new Set(known.map((m) => m.version));
  const unknown = [...applied].filter((v) => !versions.has(v)).sort();
  if (unknown.length) {
    throw new NewerSchemaError(
      `the database was migrated by a newer HookRelay (migrations ${unknown.join(', ')} are unknown to this release, which knows up to ${[...versions].sort().at(-1)}); run that release or a newer one`,
    );
  }
}

export const LEDGER_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;
