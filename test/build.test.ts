// npm start builds before each start: a build of the current sources is kept, not made again
// (each start compiled for seconds, and failed where the checkout was not the service user's).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/processes.ts';

test('the build: made when dist/ is not current, kept when it is', () => {
  const build = () => execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  build();
  const built = path.join(ROOT, 'dist/.built');
  const first = fs.statSync(built).mtimeMs;
  assert.match(build(), /^build: dist\/ is up to date$/m);
  assert.equal(fs.statSync(built).mtimeMs, first, 'not built again');
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/cli.js')));
});
