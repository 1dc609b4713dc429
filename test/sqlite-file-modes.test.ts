// The SQLite database holds password hashes, event payloads and response bodies: its files are
// readable by their owner only, a new database's and an older one's alike (it was 0644: security
// audit, 2026-12-08).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../src/store/sqlite/index.ts';

const mode = (f: string) => fs.statSync(f).mode & 0o777;

test('SQLite: a new database, its WAL and shared memory are 0600; an existing 0644 database is narrowed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-modes-'));
  const old = process.umask(0o022);
  try {
    const file = path.join(dir, 'new', 'h.db');
    const store = new SqliteStore(file);
    await store.migrate();
    await store.createOrg({ id: 0, name: 'Primary', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
    for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f).toString(8), '600', f);
    await store.close();

    const older = path.join(dir, 'older.db');
    fs.copyFileSync(file, older);
    fs.chmodSync(older, 0o644);
    const again = new SqliteStore(older);
    await again.migrate();
    await again.createOrg({ id: 1, name: 'Second', description: null, status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
    for (const f of [older, `${older}-wal`]) assert.equal(mode(f).toString(8), '600', f);
    await again.close();
  } finally {
    process.umask(old);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
