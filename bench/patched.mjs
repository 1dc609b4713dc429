// What the bench's patch experiments share (storage-floor.mjs, log-shape.mjs): temporary clones of
// HEAD, with a measurement patch of bench/ applied, and bench/split.mjs run in one of them. The
// patches never enter the service; a patch that no longer applies stops the script with git's
// reason: mend the patch along with the code it edits.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const copies = [];

/**
 * A clone of HEAD (or of the commit `at`) in a temporary directory (this checkout's node_modules
 * linked), with `patch` applied if given.
 */
export function copyOfHead(patch = null, at = null) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hookrelay-copy-'));
  copies.push(dir);
  execFileSync('git', ['clone', '-q', repo, dir], { stdio: 'inherit' });
  if (at) execFileSync('git', ['checkout', '-q', at], { cwd: dir, stdio: 'inherit' });
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  if (patch) {
    try {
      execFileSync('git', ['apply', path.resolve(repo, patch)], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      removeCopies();
      console.error(`${patch} no longer applies to ${at ?? 'HEAD'}:\n${err.stderr}`);
      process.exit(1);
    }
  }
  return dir;
}

export function removeCopies() {
  for (const dir of copies.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * bench/split.mjs in `cwd`: its "accept only" and "deliver only" lines, each with the service's CPU
 * per event and, on PostgreSQL, the server's (`db`; 0 on SQLite), or null if not printed.
 */
export function split(cwd, env, args) {
  const out = execFileSync(process.execPath, ['bench/split.mjs', ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  const step = (prefix) => {
    const line = out.split('\n').find((l) => l.startsWith(prefix));
    return line ? { line, us: Number(/:\s+([\d.]+) us/.exec(line)[1]), db: Number(/PostgreSQL ([\d.]+)/.exec(line)?.[1] ?? 0) } : null;
  };
  return { accept: step('accept only'), deliver: step('deliver only') };
}

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
