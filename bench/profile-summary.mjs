#!/usr/bin/env node
// Where the time goes in a V8 .cpuprofile (node --cpu-prof): self time aggregated by function
// (name + url + line) and by package/file.
//   node bench/profile-summary.mjs FILE.cpuprofile|DIR... [--top=N]
// Several files (or every .cpuprofile of a directory) are merged into one summary.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function shortUrl(url) {
  if (!url) return '(native)';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + 1);
  // The bench runs the compiled service (dist/), tests and tsx the sources (src/).
  const src = u.search(/\/(src|dist)\//);
  if (src >= 0) return u.slice(src + 1);
  return u.replace(/^.*\/(bench|bin|scripts)\//, '$1/');
}

/** The package (node_modules), `node core`, or the folder of our own code (src/, dist/) of a script URL. */
export function packageOf(url) {
  if (!url) return '(native/V8/GC)';
  if (url.startsWith('node:')) return 'node core';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 14).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const src = u.search(/\/(src|dist)\//);
  if (src >= 0) return u.slice(src + 1).split('/').slice(0, -1).join('/');
  return shortUrl(url);
}

/** Self time of one or more profiles (merged), by function and by package. */
export function summarizeProfiles(profs) {
  const fn = new Map();
  const pkg = new Map();
  let idle = 0;
  let total = 0;
  // Every busy sample also charged to the nearest service function (src/) on its stack: which of
  // our functions costs what, the library, native and fsync time beneath it included. Async
  // continuations start a new stack, so a store call resumed after an await is charged to the
  // store function (e.g. tx), not to the verb that awaited it.
  const owner = new Map();
  const isApp = (url) => /\/(src|dist)\//.test(url) && !url.includes('/node_modules/');
  for (const prof of profs) {
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const self = new Map();
    const deltas = prof.timeDeltas ?? [];
    for (let i = 0; i < prof.samples.length; i++) {
      const dt = deltas[i] ?? 0; // microseconds
      self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
      total += dt;
    }
    for (const [id, us] of self) {
      const cf = byId.get(id).callFrame;
      addSelf(cf, us);
      if (cf.functionName === '(idle)') continue;
      let at = id;
      let key = '(no service frame: startup, GC, timers, sockets)';
      for (let depth = 0; at !== undefined && depth < 200; depth++, at = parent.get(at)) {
        const f = byId.get(at).callFrame;
        if (isApp(f.url)) {
          key = `${f.functionName || '(anonymous)'}\t${shortUrl(f.url)}:${f.lineNumber + 1}`;
          break;
        }
      }
      owner.set(key, (owner.get(key) ?? 0) + us);
    }
  }
  function addSelf(cf, us) {
    if (cf.functionName === '(idle)') {
      idle += us;
      return;
    }
    const name = cf.functionName || '(anonymous)';
    const key = `${name}\t${shortUrl(cf.url)}${cf.url ? ':' + (cf.lineNumber + 1) : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const p = ['(garbage collector)', '(program)'].includes(name) ? name : packageOf(cf.url);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
  }
  const busy = total - idle;
  const rows = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => ({ key: k, ms: us / 1000, pct_busy: busy ? (100 * us) / busy : 0 }));
  return {
    total_ms: total / 1000,
    idle_ms: idle / 1000,
    busy_ms: busy / 1000,
    top: rows(fn).map((r) => ({ function: r.key.split('\t')[0], where: r.key.split('\t')[1], self_ms: r.ms, pct_busy: r.pct_busy })),
    byPackage: rows(pkg).map((r) => ({ package: r.key, self_ms: r.ms, pct_busy: r.pct_busy })),
    byServiceFunction: rows(owner).map((r) => ({ function: r.key.split('\t')[0], where: r.key.split('\t')[1] ?? '', total_ms: r.ms, pct_busy: r.pct_busy })),
  };
}

export const summarizeProfile = (prof) => summarizeProfiles([prof]);

export function formatSummary(s, top = 25) {
  const lines = [`wall ${s.total_ms.toFixed(0)} ms sampled, idle ${s.idle_ms.toFixed(0)} ms, busy ${s.busy_ms.toFixed(0)} ms (percentages are of busy time)`, '', 'self time by function:'];
  for (const r of s.top.slice(0, top)) lines.push(`${r.self_ms.toFixed(0).padStart(7)} ms ${r.pct_busy.toFixed(1).padStart(5)}%  ${r.function}  ${r.where}`);
  lines.push('', 'self time by package / source folder:');
  for (const r of s.byPackage.slice(0, 15)) lines.push(`${r.self_ms.toFixed(0).padStart(7)} ms ${r.pct_busy.toFixed(1).padStart(5)}%  ${r.package}`);
  if (s.byServiceFunction) {
    lines.push('', 'busy time charged to the nearest service function (src/, below it: libraries, native, fsync):');
    for (const r of s.byServiceFunction.slice(0, 15)) lines.push(`${r.total_ms.toFixed(0).padStart(7)} ms ${r.pct_busy.toFixed(1).padStart(5)}%  ${r.function}  ${r.where}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const top = Number(args.find((a) => /^--top=\d+$/.test(a))?.slice(6) ?? 30);
  const targets = args.filter((a) => !a.startsWith('--'));
  if (!targets.length) {
    console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile|DIR... [--top=N]');
    process.exit(2);
  }
  const files = targets.flatMap((t) =>
    fs.statSync(t).isDirectory() ? fs.readdirSync(t).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(t, f)) : [t],
  );
  if (!files.length) throw new Error(`no .cpuprofile in ${targets.join(' ')}`);
  const profs = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  console.log(`${files.join('\n')}\n${formatSummary(summarizeProfiles(profs), top)}`);
}
