// Whether dist/ is a build of the current src/: its .built file (written last by the build) is
// newer than every source file. Read by bin/hookrelay.mjs (run dist/ or the sources) and by the
// build itself (nothing to do).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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

export function buildIsCurrent() {
  return builtAt() >= newestSource(path.join(root, 'src'));
}
