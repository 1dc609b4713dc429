#!/usr/bin/env node
// `npm run build` (and `npm start`, through prestart): compiles src/ to plain JavaScript in dist/
// and copies the SQL migrations beside it. bin/hookrelay.mjs runs dist/ when it is newer than
// every file of src/, and the TypeScript sources through tsx otherwise, so a stale or missing
// build is never run. Why build at all: tsx's module-loader thread costs the service ~46 MB of
// resident memory (bench, 2026-11-22: 146 MB idle under tsx, 99 MB compiled).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildIsCurrent, root } from './build-state.mjs';

const dist = path.join(root, 'dist');

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // An install without dev dependencies: the service still runs, from the sources through tsx.
  console.warn('build: typescript is not installed (npm ci --omit=dev?); hookrelay will run its TypeScript sources through tsx');
  process.exit(0);
}

// npm start builds before every start: a build of the current sources is kept (it was made again
// each time, and failed where the checkout is not the service user's: operator audit, 2026-12-08).
if (!process.argv.includes('--force') && buildIsCurrent()) {
  console.log('build: dist/ is up to date');
  process.exit(0);
}
try {
  fs.rmSync(dist, { recursive: true, force: true });
} catch (err) {
  console.warn(`build: cannot replace ${dist} (${err.code}); hookrelay will run its TypeScript sources through tsx`);
  process.exit(0);
}
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
if (r.status !== 0) {
  fs.rmSync(dist, { recursive: true, force: true });
  console.error('build: tsc failed; dist/ removed, so hookrelay runs its sources through tsx');
  process.exit(r.status ?? 1);
}
for (const engine of ['sqlite', 'postgres']) {
  const from = path.join(root, 'src/store', engine, 'migrations');
  const to = path.join(dist, 'store', engine, 'migrations');
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) if (f.endsWith('.sql')) fs.copyFileSync(path.join(from, f), path.join(to, f));
}
// Written last: its time is what "newer than src/" is measured against.
fs.writeFileSync(path.join(dist, '.built'), `${new Date().toISOString()}\n`);
console.log(`build: dist/ up to date (${path.relative(process.cwd(), dist) || '.'})`);
