#!/usr/bin/env node
// `npm test`: runs test/**/*.test.ts with node's test runner (one file at a
// time), against a throwaway PostgreSQL cluster unless
// HOOKRELAY_TEST_DATABASE_URL is already set.
//
// Usage:
//   npm test                                  # all test files
//   npm test -- test/foo.test.ts test/api     # selected files / directories
//   npm test -- --test-name-pattern=retry     # extra flags go to `node --test`
//
// Env:
//   HOOKRELAY_TEST_DATABASE_URL  base URL of a Postgres server to use (skips
//                                starting a throwaway cluster)
//   HOOKRELAY_TEST_ENGINES       comma list, default "sqlite,postgres"; the
//                                cluster is only started if it includes postgres

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function findTests(dir) {
  const out = [];
  const walk = (d) => {
    let entries;
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if (err.code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.test.ts')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function rel(p) {
  const r = path.relative(repoRoot, p);
  return r.startsWith('..') ? p : r;
}

// ---- arguments -------------------------------------------------------------
const nodeFlags = [];
const selected = [];
for (const arg of process.argv.slice(2)) {
  if (arg.startsWith('-')) {
    nodeFlags.push(arg);
    continue;
  }
  const p = path.resolve(arg);
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    console.error(`run-tests: no such test file or directory: ${arg}`);
    process.exit(2);
  }
  if (st.isDirectory()) {
    const found = findTests(p);
    if (found.length === 0) {
      console.error(`run-tests: no *.test.ts files under ${arg}`);
      process.exit(2);
    }
    selected.push(...found.sort());
  } else {
    selected.push(p);
  }
}

let files;
if (selected.length > 0) {
  files = [...new Set(selected)];
} else {
  files = findTests(path.join(repoRoot, 'test')).sort();
  if (files.length === 0) {
    console.warn('run-tests: no test files found (test/**/*.test.ts); nothing to do');
    process.exit(0);
  }
}

// ---- environment -----------------------------------------------------------
const env = { ...process.env };
if (!env.HOOKRELAY_TEST_ENGINES) env.HOOKRELAY_TEST_ENGINES = 'sqlite,postgres';
const wantPostgres = env.HOOKRELAY_TEST_ENGINES.split(',')
  .map((s) => s.trim().toLowerCase())
  .includes('postgres');

let cluster = null;
let child = null;
let stopping = false;
let signalled = null;

async function stopCluster() {
  if (!cluster) return;
  const c = cluster;
  cluster = null;
  try {
    await c.stop();
  } catch (err) {
    console.error(`run-tests: failed to stop PostgreSQL cluster: ${err?.message ?? err}`);
  }
}

async function finish(code) {
  if (stopping) return;
  stopping = true;
  await stopCluster();
  process.exit(code);
}

function onSignal(sig) {
  if (signalled) {
    // Second signal: stop waiting for the tests, just clean up and go.
    if (child && child.exitCode === null) child.kill('SIGKILL');
    return;
  }
  signalled = sig;
  const code = 128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[sig] ?? 0);
  if (child && child.exitCode === null && child.signalCode === null) {
    // On ^C the child already got SIGINT from the terminal; forward anyway
    // (harmless) so `kill <pid>` behaves the same. Cleanup runs on its exit.
    try {
      child.kill(sig);
    } catch {}
  } else {
    finish(code);
  }
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => onSignal(sig));

if (wantPostgres && !env.HOOKRELAY_TEST_DATABASE_URL) {
  const { startPgCluster } = await import('./pg-cluster.mjs');
  const t0 = Date.now();
  try {
    cluster = await startPgCluster();
  } catch (err) {
    console.error(`run-tests: could not start a throwaway PostgreSQL cluster:\n${err?.message ?? err}`);
    process.exit(1);
  }
  env.HOOKRELAY_TEST_DATABASE_URL = cluster.url;
  console.log(`run-tests: started PostgreSQL for tests at ${cluster.url} (${Date.now() - t0} ms)`);
  if (signalled) await finish(130);
} else if (wantPostgres) {
  console.log('run-tests: using HOOKRELAY_TEST_DATABASE_URL from the environment');
}
console.log(`run-tests: engines=${env.HOOKRELAY_TEST_ENGINES}; ${files.length} test file(s)`);

// ---- run -------------------------------------------------------------------
const args = [
  '--import', 'tsx',
  '--test',
  '--test-concurrency=1',
  '--test-reporter=spec',
  ...nodeFlags,
  ...files.map(rel),
];
// cwd = repo root so `--import tsx` resolves from the project's node_modules.
child = spawn(process.execPath, args, { stdio: 'inherit', env, cwd: repoRoot });
child.on('error', (err) => {
  console.error(`run-tests: failed to start node: ${err.message}`);
  finish(1);
});
child.on('exit', (code, sig) => {
  let exitCode = code ?? 1;
  if (sig) exitCode = 128 + ({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1 }[sig] ?? 0);
  if (signalled) exitCode = 128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[signalled] ?? 0);
  finish(exitCode);
});
