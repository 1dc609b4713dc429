// Throwaway PostgreSQL cluster for tests.
//
//   const { url, stop } = await startPgCluster();
//   ... use url (postgres://postgres@127.0.0.1:<port>/hookrelay_test) ...
//   await stop();
//
// The cluster lives in a fresh temp dir and is started as a direct child
// process (not a pg_ctl daemon). stop() does a fast shutdown (SIGINT), waits
// for it, and removes the temp dir. If this process dies without calling
// stop() (even SIGKILL), a small detached watchdog notices the closed pipe and
// does the same cleanup.

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const PG_ROOT = '/usr/lib/postgresql';
const DB_NAME = 'hookrelay_test';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

function findPgBinDir() {
  let versions = [];
  try {
    versions = fs.readdirSync(PG_ROOT);
  } catch {
    // fall through
  }
  const candidates = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .filter((v) => {
      const bin = path.join(PG_ROOT, v, 'bin');
      return fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'postgres'));
    })
    .sort((a, b) => parseFloat(b) - parseFloat(a));
  if (candidates.length === 0) {
    throw new Error(
      `pg-cluster: no PostgreSQL server binaries found (looked for ${PG_ROOT}/*/bin/initdb and postgres). ` +
        'Install them, e.g. `apt-get install -y postgresql`, or set HOOKRELAY_TEST_DATABASE_URL to an existing server.',
    );
  }
  return path.join(PG_ROOT, candidates[0], 'bin');
}

function lookupPostgresUser() {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
  } catch {
    // fall through
  }
  throw new Error(
    'pg-cluster: running as root but there is no `postgres` system user; initdb/postgres refuse to run as root. ' +
      'Install the postgresql package (it creates the user) or run the tests as a non-root user.',
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tail(file, maxLines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-maxLines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  // An orphaned, exited server may linger as an unreaped zombie.
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

// Detached helper that holds the read end of a pipe from us. When we die (in
// any way) the pipe hits EOF and it fast-stops postgres and removes the dir.
// A normal stop() kills it once cleanup is done.
const WATCHDOG_SRC = `
const fs = require('node:fs');
const [pid, dir] = [Number(process.argv[1]), process.argv[2]];
const zombie = () => { try { return /^\\d+ \\(.*\\) Z/.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8')); } catch { return false; } };
const alive = () => { try { process.kill(pid, 0); } catch (e) { if (e.code !== 'EPERM') return false; } return !zombie(); };
const sig = (s) => { try { process.kill(pid, s); } catch {} };
let started = false;
function cleanup() {
  if (started) return; started = true;
  const t0 = Date.now(); sig('SIGINT');
  const iv = setInterval(() => {
    const dt = Date.now() - t0;
    if (alive() && dt > 10000 && dt < 15000) sig('SIGQUIT');
    if (alive() && dt >= 15000) sig('SIGKILL');
    if (!alive() || dt > 20000) {
      clearInterval(iv);
      try { fs.rmSync(dir, { recursive: true, force: true }); } catch {}
      process.exit(0);
    }
  }, 100);
}
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
process.stdin.on('data', () => {});
process.stdin.on('end', cleanup);
process.stdin.on('close', cleanup);
process.stdin.on('error', cleanup);
`;

/**
 * Starts a throwaway cluster. Tests run it without fsync (nothing in it must outlive the run);
 * `durable: true` keeps PostgreSQL's defaults (fsync, synchronous_commit, full_page_writes on), so
 * a commit is on disk before it is acknowledged, as in production: the benchmark uses that.
 * `settings` adds server settings as name=value strings.
 * @returns {Promise<{ url: string, port: number, dataDir: string, stop(): Promise<void> }>}
 */
export async function startPgCluster({ durable = false, settings = [] } = {}) {
  const binDir = findPgBinDir();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const pgUser = isRoot ? lookupPostgresUser() : null;
  if (isRoot && !fs.existsSync('/usr/sbin/runuser') && !fs.existsSync('/sbin/runuser') && !fs.existsSync('/usr/bin/runuser')) {
    throw new Error('pg-cluster: running as root but `runuser` (util-linux) is not available');
  }

  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-pg-'));
  const dataDir = path.join(baseDir, 'data');
  const sockDir = path.join(baseDir, 'sock');
  const logFile = path.join(baseDir, 'postgres.log');
  fs.mkdirSync(sockDir);
  if (pgUser) {
    for (const p of [baseDir, sockDir]) fs.chownSync(p, pgUser.uid, pgUser.gid);
  }

  // Run a one-shot binary (initdb) as the right user.
  const runAsPg = (bin, args) => {
    const [cmd, argv] = pgUser
      ? ['runuser', ['-u', 'postgres', '--', path.join(binDir, bin), ...args]]
      : [path.join(binDir, bin), args];
    const res = spawnSync(cmd, argv, {
      cwd: baseDir,
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    });
    if (res.error) throw new Error(`pg-cluster: failed to run ${bin}: ${res.error.message}`);
    if (res.status !== 0) {
      throw new Error(`pg-cluster: ${bin} exited with ${res.status ?? res.signal}:\n${res.stdout}\n${res.stderr}`);
    }
  };

  let child = null;
  let watchdog = null;
  let childExited = null; // promise resolved on child exit
  let stopPromise = null;

  const removeDir = () => {
    try {
      fs.rmSync(baseDir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  };

  const stop = () => {
    if (stopPromise) return stopPromise;
    stopPromise = (async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const pid = child.pid;
        try {
          child.kill('SIGINT'); // fast shutdown
        } catch {
          // already gone
        }
        const timedOut = await Promise.race([childExited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
        if (timedOut && isAlive(pid)) {
          try {
            child.kill('SIGQUIT'); // immediate shutdown
          } catch {}
          const again = await Promise.race([childExited.then(() => false), sleep(5000).then(() => true)]);
          if (again && isAlive(pid)) {
            try {
              child.kill('SIGKILL');
            } catch {}
            await Promise.race([childExited, sleep(2000)]);
          }
        }
      }
      removeDir();
      if (watchdog && watchdog.exitCode === null) {
        try {
          watchdog.kill('SIGKILL');
        } catch {}
      }
    })();
    return stopPromise;
  };

  try {
    runAsPg('initdb', [
      '-D', dataDir,
      '--auth=trust',
      '-U', 'postgres',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);

    const maxAttempts = 3;
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const logFd = fs.openSync(logFile, 'a');
      const args = [
        '-D', dataDir,
        '-p', String(port),
        '-k', sockDir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'max_connections=300',
        ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
        // Extra name=value settings, e.g. shared_preload_libraries=pg_stat_statements to study a run.
        ...settings.flatMap((kv) => ['-c', kv]),
      ];
      // The server is spawned directly with uid/gid (rather than via runuser)
      // so that it is our direct child: runuser swallows SIGINT, which would
      // turn a fast shutdown into a slow/forced one.
      child = spawn(path.join(binDir, 'postgres'), args, {
        cwd: baseDir,
        detached: true, // own process group: terminal ^C goes to us, we shut it down
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
        ...(pgUser ? { uid: pgUser.uid, gid: pgUser.gid } : {}),
      });
      fs.closeSync(logFd);
      const thisChild = child;
      childExited = new Promise((resolve) => {
        thisChild.once('exit', (code, signal) => resolve({ code, signal }));
        thisChild.once('error', (err) => resolve({ code: null, signal: null, error: err }));
      });
      child.unref();

      if (watchdog && watchdog.exitCode === null) {
        try {
          watchdog.kill('SIGKILL');
        } catch {}
      }
      if (child.pid) {
        watchdog = spawn(process.execPath, ['-e', WATCHDOG_SRC, String(child.pid), baseDir], {
          detached: true,
          stdio: ['pipe', 'ignore', 'ignore'],
        });
        watchdog.on('error', () => {});
        watchdog.stdin.on('error', () => {});
        watchdog.unref();
        watchdog.stdin.unref?.();
      }

      const ready = await waitReady(port, childExited);
      if (ready.ok) {
        const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
        await admin.connect();
        try {
          await admin.query(`CREATE DATABASE ${DB_NAME}`);
        } finally {
          await admin.end();
        }
        return {
          url: `postgres://postgres@127.0.0.1:${port}/${DB_NAME}`,
          port,
          dataDir,
          stop,
        };
      }

      const log = tail(logFile);
      const portClash = /could not bind|address already in use/i.test(log);
      if (ready.exited && portClash && attempt < maxAttempts) {
        fs.writeFileSync(logFile, '');
        continue; // lost a race for the port; try another
      }
      throw new Error(`pg-cluster: postgres ${ready.reason}. Server log:\n${log}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitReady(port, childExited) {
  let exited = null;
  childExited.then((info) => {
    exited = info;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastErr = null;
  while (Date.now() < deadline) {
    if (exited) {
      const how = exited.error ? `failed to spawn (${exited.error.message})` : `exited early (code ${exited.code}, signal ${exited.signal})`;
      return { ok: false, exited: true, reason: how };
    }
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 2000,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return { ok: true };
    } catch (err) {
      lastErr = err;
      try {
        await client.end();
      } catch {}
    }
    await sleep(100);
  }
  return {
    ok: false,
    exited: false,
    reason: `did not accept connections within ${READY_TIMEOUT_MS / 1000}s (last error: ${lastErr?.message})`,
  };
}
