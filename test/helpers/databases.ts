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

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
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
  await admin.query(`CREATE DATABASE ${name}`);
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
