#!/usr/bin/env node
// Entry point of the `hookrelay` command. Runs the compiled JavaScript in dist/ when it is newer
// than every source file (`npm run build`; `npm start` builds first), else the TypeScript sources
// straight through tsx, so a fresh `npm ci` needs no build step and a stale build never runs.
import { buildIsCurrent } from '../scripts/build-state.mjs';

let main;
if (process.env.HOOKRELAY_RUN_SOURCES !== 'true' && buildIsCurrent()) {
  ({ main } = await import('../dist/cli.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
await main(process.argv.slice(2));
