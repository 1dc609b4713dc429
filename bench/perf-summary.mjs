#!/usr/bin/env node
// Where a process's CPU goes, thread by thread, from `perf record` samples: real on-CPU time,
// unlike a V8 .cpuprofile (profile-summary.mjs), which samples a thread's stack on a wall-clock
// timer and so charges to a native call (writev, postMessage) the time the thread sat preempted
// in it. Measured (2026-12-06, bench:split, SQLite, deliver step, 50,000 deliveries): the CPU
// profile put writev at 18% and postMessage at 6-10% of the main thread; perf's cpu-clock
// samples, 11% for the whole socket write path and 2.5% for serializing messages.
//
//   BENCH_NODE_ARGS=--perf-basic-prof perf record -e cpu-clock -F 999 -a -g -o /tmp/perf.data -- \
//     npm run bench -- --only=sqlite --phases=throughput
//   node bench/perf-summary.mjs /tmp/perf.data [--pid=N] [--from=S] [--to=S] [--per=N] [--top=N] [--show=KIND]
//
// --pid: the process (default: the one with the most SQLite or undici samples, i.e. the service);
// --from/--to: seconds after that process's first sample (e.g. to leave out a warm-up);
// --per: divide the CPU by N (deliveries) to print microseconds per delivery;
// --show=KIND: under each thread, the functions behind that kind (e.g. --show="JS: node core").
// (--perf-basic-prof makes node write /tmp/perf-<pid>.map, which names the JIT's functions.)
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { packageOf } from './profile-summary.mjs';

const args = Object.fromEntries(process.argv.slice(2).filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')));
const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: node bench/perf-summary.mjs PERF.DATA [--pid=N] [--from=S] [--to=S] [--per=N] [--top=N] [--show=KIND]');
  process.exit(2);
}
const TOP = Number(args.top ?? 6);

/**
 * What a sample was doing: the frame nearest its leaf that is either one of these or JavaScript
 * decides (so the JS that a message callback runs counts as that JS, not as the message).
 */
const CATEGORIES = [
  ['GC: young (scavenge)', /Scaveng/],
  ['GC: old (mark)', /MarkCompact|ConcurrentMarking|IncrementalMarking|MarkingVisitor|MarkingBarrier|MarkingWorklist/],
  ['GC: old (sweep)', /Sweeper|ArrayBufferSweeper/],
  ['GC: other', /v8::internal::Heap::|GCTracer|MemoryAllocator/],
  ['JIT compile', /compiler::|Compiler::|Turbofan|Maglev|CompileLazy|v8::internal::Parser|v8::internal::Scanner/],
  ['SQLite', /^sqlite3|^pager|^wal[A-Z]|^btree|^pcache|^vdbe/],
  ['crypto (HMAC, hashes)', /sha256|HMAC|Hmac|EVP_|ossl_/],
  ['messages between threads', /ValueSerializer|ValueDeserializer|node::worker::Message/],
  ['sockets (kernel)', /^tcp_|^inet_|^sock_|^__sys_recv|^__sys_send|^ep_poll|^do_epoll/],
  ['file I/O (kernel)', /^ext4_|^jbd2|^filemap_|^iomap_|^__x64_sys_pwrite|^__x64_sys_pread|^__x64_sys_fsync|^__x64_sys_fdatasync/],
];

/** [kind, the frame that decided it] of a sample's stack (leaf first). */
function category(stack) {
  for (const f of stack) {
    for (const [name, re] of CATEGORIES) if (re.test(f)) return [name, f];
    const js = f.match(/^JS:\S*\s+(\S+)/);
    if (js) return [`JS: ${packageOf(js[1])}`, f];
  }
  return [stack[0].startsWith('Builtins_') ? 'V8 builtins' : 'other native', stack[0]];
}

/** A thread's role in the service, from what its samples ran. */
function role(tid, pid, cats, storageTid) {
  if (tid === pid) return 'main thread';
  if (tid === storageTid) return 'SQLite storage thread';
  const n = (k) => cats.get(k) ?? 0;
  const all = [...cats.values()].reduce((a, b) => a + b, 0);
  if (n('SQLite') + n('file I/O (kernel)') > all / 4) return 'checkpoints and fsyncs (threads)';
  const v8 = n('GC: young (scavenge)') + n('GC: old (mark)') + n('GC: old (sweep)') + n('GC: other') + n('JIT compile');
  if (v8 > all / 3) return 'V8 helpers: GC, compiler (threads)';
  return 'other threads';
}

const samples = [];
let head = null;
let stack = [];
// Each sample's period is the CPU time it stands for (ns, cpu-clock).
const perf = spawn('perf', ['script', '-i', file, '-F', 'pid,tid,time,period,ip,sym', '--no-inline'], { stdio: ['ignore', 'pipe', 'ignore'] });
const lines = readline.createInterface({ input: perf.stdout, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) {
    if (head && stack.length) samples.push({ ...head, stack });
    head = null;
    stack = [];
  } else if (!line.startsWith('\t')) {
    // A sample's header ("pid/tid time: period"); its frames follow, one per line after a tab.
    const m = line.match(/^\s*(\d+)\/(\d+)\s+([\d.]+):\s+(\d+)/);
    head = m ? { pid: Number(m[1]), tid: Number(m[2]), t: Number(m[3]), ns: Number(m[4]) } : null;
  } else {
    const m = line.match(/^\s*[0-9a-f]+\s+(.*)$/);
    if (m) stack.push(m[1]);
  }
}
if (!samples.length) {
  console.error(`no samples read from ${file} (is perf installed, and was it recorded with -g?)`);
  process.exit(1);
}

let pid = args.pid ? Number(args.pid) : null;
if (pid === null) {
  const score = new Map();
  for (const s of samples) if (s.stack.some((f) => /^sqlite3|undici/.test(f))) score.set(s.pid, (score.get(s.pid) ?? 0) + 1);
  pid = [...score].sort((a, b) => b[1] - a[1])[0]?.[0] ?? samples[0].pid;
}
const own = samples.filter((s) => s.pid === pid);
// (A loop, not Math.min(...): a long recording holds more samples than a call takes arguments.)
const earliest = (list) => list.reduce((m, s) => Math.min(m, s.t), Infinity);
const t0 = earliest(own);
const from = Number(args.from ?? 0);
const to = Number(args.to ?? Infinity);
const picked = own.filter((s) => s.t - t0 >= from && s.t - t0 <= to);
const span = picked.length ? picked.reduce((m, s) => Math.max(m, s.t), -Infinity) - earliest(picked) : 0;
// Sums of sample periods: nanoseconds of CPU.
const byTid = new Map();
let total = 0;
for (const s of picked) {
  let t = byTid.get(s.tid);
  if (!t) byTid.set(s.tid, (t = { n: 0, cats: new Map() }));
  t.n += s.ns;
  total += s.ns;
  const [c, frame] = category(s.stack);
  t.cats.set(c, (t.cats.get(c) ?? 0) + s.ns);
  if (c === args.show) {
    t.leaves ??= new Map();
    t.leaves.set(frame, (t.leaves.get(frame) ?? 0) + s.ns);
  }
}
const per = args.per ? Number(args.per) : null;
const unit = (ns) => (per ? `${(ns / 1000 / per).toFixed(1)} us/delivery` : `${(ns / 1e6).toFixed(0)} ms`);

console.log(`${file}: process ${pid}, ${picked.length} samples over ${span.toFixed(1)} s, ${unit(total)} of CPU`);
// The storage thread: of the threads running SQLite, the one that also runs the most JavaScript.
const jsOf = (t) => [...t.cats].reduce((a, [c, n]) => a + (c.startsWith('JS: ') ? n : 0), 0);
const storageTid = [...byTid].filter(([tid, t]) => tid !== pid && (t.cats.get('SQLite') ?? 0) > 0).sort((a, b) => jsOf(b[1]) - jsOf(a[1]))[0]?.[0];
const roles = new Map();
for (const [tid, t] of byTid) {
  const r = role(tid, pid, t.cats, storageTid);
  let g = roles.get(r);
  if (!g) roles.set(r, (g = { n: 0, threads: 0, cats: new Map(), leaves: new Map() }));
  g.n += t.n;
  g.threads++;
  for (const [c, n] of t.cats) g.cats.set(c, (g.cats.get(c) ?? 0) + n);
  for (const [f, n] of t.leaves ?? []) g.leaves.set(f, (g.leaves.get(f) ?? 0) + n);
}
for (const [r, g] of [...roles].sort((a, b) => b[1].n - a[1].n)) {
  console.log(`\n${r}${g.threads > 1 ? ` (${g.threads})` : ''}: ${unit(g.n)}, ${((g.n / total) * 100).toFixed(1)}% of the process`);
  for (const [c, n] of [...g.cats].sort((a, b) => b[1] - a[1]).slice(0, TOP)) {
    console.log(`  ${((n / g.n) * 100).toFixed(1).padStart(5)}%  ${unit(n).padStart(18)}  ${c}`);
  }
  if (g.leaves.size) console.log(`  ${args.show}, by the function that decided it:`);
  for (const [f, n] of [...g.leaves].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`       ${unit(n).padStart(18)}  ${f.slice(0, 100)}`);
}
