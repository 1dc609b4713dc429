// A fresh database per test file and engine: a temp SQLite file, or a new database in the
// throwaway PostgreSQL cluster that scripts/run-tests.mjs starts (HOOKRELAY_TEST_DATABASE_URL).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type Engine = 'sqlite' | 'postgres';

export const engines: Engine[] = (process.env.HOOKRELAY_TEST_ENGINES ?? 'sqlite,postgres')
  .split(',')
  .map((e) => e.trim())
  .filter(Boolean) as Engine[];

export interface TestDatabase {
  url: string;
  dir: string;
  drop(): Promise<void>;
}

/**
 * A database whose text collation ignores punctuation at its first level, as glibc's
 * en_US.UTF-8 (a common default of PostgreSQL clusters) does: 'n.e.0' < 'n.e/' is false there.
 * ICU's, so that it needs no locale installed on the machine.
 */
export const PUNCTUATION_IGNORING = "LOCALE_PROVIDER icu ICU_LOCALE 'en-US-u-ka-shifted' LOCALE 'C'";

/** `pgOptions`: CREATE DATABASE options (e.g. PUNCTUATION_IGNORING). */
export async function createTestDatabase(engine: Engine, pgOptions = ''): Promise<TestDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-test-'));
  if (engine === 'sqlite') {
    return { url: path.join(dir, 'hookrelay.db'), dir, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const base = process.env.HOOKRELAY_TEST_DATABASE_URL;
  // Never skip PostgreSQL silently: without a server the suite must fail and say why.
  if (!base) throw new Error('HOOKRELAY_TEST_DATABASE_URL is not set; run the tests with `npm test`, which starts a PostgreSQL cluster');
  const name = `t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}${pgOptions ? ` TEMPLATE template0 ${pgOptions}` : ''}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dir,
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Sequential and index scans of these tables so far, every connection's counts included: the way
 * to see which plan another connection's cached statement used. Each backend reports its counts
 * at the end of a transaction at most once a second, an idle one within a second.
 */
export async function scanCounts(client: pg.Pool | pg.Client, tables: string[]): Promise<Record<string, { seq: number; idx: number }>> {
  await client.query('SELECT pg_stat_force_next_flush()');
  await new Promise((r) => setTimeout(r, 1100));
  const r = await client.query('SELECT relname, seq_scan, idx_scan FROM pg_stat_user_tables WHERE relname = ANY($1)', [tables]);
  return Object.fromEntries(r.rows.map((x) => [x.relname, { seq: Number(x.seq_scan), idx: Number(x.idx_scan ?? 0) }]));
}
