// A fingerprint of everything the console build depends on: its sources, its build config and the
// versions of the packages it bundles. The build writes it to dist/.source-hash; a test compares,
// so a committed dist/ that lags behind console/src is caught.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = path.dirname(fileURLToPath(import.meta.url));
const INPUTS = ['index.html', 'vite.config.ts', 'source-hash.ts', 'tsconfig.json', 'src', 'public'];
const BUNDLED = ['react', 'react-dom', 'vite', '@vitejs/plugin-react', 'rollup'];

function files(rel: string): string[] {
  const abs = path.join(CONSOLE_DIR, rel);
  if (!fs.existsSync(abs)) return [];
  if (!fs.statSync(abs).isDirectory()) return [rel];
  return fs.readdirSync(abs).sort().flatMap((name) => files(path.posix.join(rel, name)));
}

export function consoleSourceHash(): string {
  const h = crypto.createHash('sha256');
  for (const rel of INPUTS.flatMap(files)) {
    // Line endings do not change the build; a checkout with CRLF must not look stale.
    h.update(`${rel}\0${fs.readFileSync(path.join(CONSOLE_DIR, rel), 'utf8').replace(/\r\n/g, '\n')}\0`);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(CONSOLE_DIR, '..', 'package.json'), 'utf8'));
  for (const name of BUNDLED) h.update(`${name}@${pkg.devDependencies?.[name] ?? pkg.dependencies?.[name] ?? '?'}\0`);
  return h.digest('hex');
}
