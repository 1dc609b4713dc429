#!/usr/bin/env node
// Entry point of the `hookrelay` command. tsx compiles the TypeScript sources on load, so the
// service runs straight from a fresh `npm ci` with no build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli.ts');
await main(process.argv.slice(2));
