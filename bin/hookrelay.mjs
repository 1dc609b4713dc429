#!/usr/bin/env node
// Entry point of the `hookrelay` command. Runs the compiled JavaScript in dist/ when it is newer
// than every source file (`npm run build`; `npm start` builds first), else the TypeScript sources
// straight through tsx, so a fresh `npm ci` needs no build step and a stale build never runs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newestSource(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return fs.statSync(path.join(root, 'dist/.built')).mtimeMs;
  } catch {
    return 0;
  }
}

let main;
if (process.env.HOOKRELAY_RUN_SOURCES !== 'true' && builtAt() >= newestSource(path.join(root, 'src'))) {
  ({ main } = await import('../dist/cli.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
await main(process.argv.slice(2));
