// Builds the console into console/dist, which the service serves at / (src/api/console-static.ts).
// `npm run build:console` from the repository root; `npm run dev:console` for a dev server that
// proxies /api to a service on :8080.
import fs from 'node:fs';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { CONSOLE_DIR, consoleSourceHash } from './source-hash.ts';

function writeSourceHash(): Plugin {
  return {
    name: 'hookrelay-source-hash',
    apply: 'build',
    closeBundle() {
      fs.writeFileSync(path.join(CONSOLE_DIR, 'dist', '.source-hash'), consoleSourceHash() + '\n');
    },
  };
}

export default defineConfig({
  root: CONSOLE_DIR,
  base: '/',
  plugins: [react(), writeSourceHash()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    // Inline nothing: the page's Content-Security-Policy allows only same-origin files.
    assetsInlineLimit: 0,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
