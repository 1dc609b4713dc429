import { spawn } from 'node:child_process';
import { request } from 'undici';
import fs from 'node:fs';
const dir = fs.mkdtempSync('/tmp/hrp-');
const port = 18000 + Math.floor(Math.random() * 1000);
const env = { ...process.env, PORT: String(port), HOOKRELAY_DATA_DIR: dir, HOOKRELAY_ADMIN_PASSWORD: 'pw-123456789', HOOKRELAY_LOG_LEVEL: 'warn', HOOKRELAY_ALLOW_PRIVATE_TARGETS: 'true' };
const svc = spawn(process.execPath, [...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof2'] : []), 'bin/hookrelay.mjs', 'serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) { try { await request(base + '/healthz'); break; } catch { await new Promise(r => setTimeout(r, 100)); } }
const tok = await (await request(base + '/api/rest/2.0/auth/token/full', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'pw-123456789' }) })).body.json();
const h = { authorization: `Bearer ${tok.token}`, 'content-type': 'application/json' };
const withHook = process.argv[2] === 'hook';
if (withHook) {
  const http = await import('node:http');
  globalThis.lags = []; const srv = http.createServer((q, s) => { let b=''; q.on('data', c => b += c); q.on('end', () => { const m = /"t0":(\d+\.?\d*)/.exec(b); if (m) lags.push(Date.now() - Number(m[1])); s.statusCode = 204; s.end(); }); }).listen(port + 1);
  const r = await request(base + '/api/rest/2.0/webhooks/create', { method: 'POST', headers: h, body: JSON.stringify({ name: 'x', url: `http://127.0.0.1:${port + 1}/`, events: ['kpi.alert'] }) });
  console.log('hook', r.statusCode, await r.body.text());
}
for (const conc of [1, 4, 16]) {
  let done = 0; const end = Date.now() + 3000; const lat = [];
  await Promise.all(Array.from({ length: conc }, async () => {
    while (Date.now() < end) { const t = performance.now(); const r = await request(base + '/api/v1/events', { method: 'POST', headers: h, body: JSON.stringify({ type: 'kpi.alert', data: { t0: Date.now(), x: 'y'.repeat(900) } }) }); await r.body.text(); lat.push(performance.now() - t); done++; }
  }));
  lat.sort((a, b) => a - b);
  await new Promise(r => setTimeout(r, 1000)); const L = (globalThis.lags ?? []).splice(0).sort((a, b) => a - b); if (L.length) console.log(`  delivery lag p50 ${L[L.length >> 1]} p99 ${L[Math.floor(L.length * 0.99)]} max ${L[L.length - 1]} n ${L.length}`);
  console.log(`conc ${conc}: ${(done / 3).toFixed(0)} publishes/s, p50 ${lat[lat.length >> 1].toFixed(2)} ms, p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(2)} ms`);
}
svc.kill('SIGINT'); await new Promise(r => svc.on('exit', r)); process.exit(0);
