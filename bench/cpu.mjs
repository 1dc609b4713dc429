// CPU time of processes, read from /proc (Linux): what a figure cost, beside how fast it went.
// Rates on this shared 2-core machine move by +-25% between runs; CPU time per delivery moves far
// less, so it is the figure a change of the service is judged by (and the one the limit's client
// is compared with: the targets ask for a ratio of rates, which on a CPU-bound machine is a ratio
// of CPU per delivery).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

let tickUs = null;
function usPerTick() {
  if (tickUs === null) {
    let hz = 100;
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      // getconf missing: Linux's USER_HZ is 100 everywhere it runs here
    }
    tickUs = 1e6 / hz;
  }
  return tickUs;
}

/** utime + stime (+ the children it has waited for, when `reaped`), in µs, from a stat file; null when gone. */
function cpuOf(pid, reaped = false, file = `/proc/${pid}/stat`) {
  try {
    const s = fs.readFileSync(file, 'utf8');
    // Fields after "(comm)": state ppid ... utime(11) stime(12) cutime(13) cstime(14).
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
    return { ppid: Number(f[1]), us: ticks * usPerTick() };
  } catch {
    return null;
  }
}

/** CPU µs used so far by one process (all its threads). */
export function processCpuUs(pid) {
  return cpuOf(pid)?.us ?? 0;
}

/** CPU µs used so far by each thread of a process, by thread id. */
export function threadCpuUs(pid) {
  const out = new Map();
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    const c = cpuOf(pid, false, `/proc/${pid}/task/${t}/stat`);
    if (c) out.set(t, c.us);
  }
  return out;
}

/**
 * CPU µs used so far by a PostgreSQL cluster: the postmaster (with the backends it has reaped)
 * and its live children (backends, WAL writer, checkpointer...).
 */
export function clusterCpuUs(dataDir) {
  let postmaster;
  try {
    postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
  let us = cpuOf(postmaster, true)?.us ?? 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const c = cpuOf(d);
    if (c && c.ppid === postmaster) us += c.us;
  }
  return us;
}

/**
 * CPU µs per item between two threadCpuUs() snapshots of a process, by thread: the main thread
 * (the one whose id is the pid), the busiest other thread (SQLite's storage thread when there is
 * one) and the rest together (V8's GC and compiler helpers, libuv's pool doing fsyncs, the
 * checkpointer). Which thread carries a cost is what a change of the service has to know: a
 * thread at 100% caps the rate whatever the total.
 */
export function perThread(pid, before, after, n) {
  const d = [...after].map(([t, us]) => ({ t, us: us - (before.get(t) ?? 0) }));
  const main = d.find((x) => x.t === String(pid))?.us ?? 0;
  const others = d.filter((x) => x.t !== String(pid)).sort((a, b) => b.us - a.us);
  const busiest = others[0]?.us ?? 0;
  const rest = others.slice(1).reduce((s, x) => s + x.us, 0);
  return { main: main / n, busiest_other: busiest / n, rest: rest / n, total: (main + busiest + rest) / n };
}

/** Busy and total CPU time of the whole machine so far (all cores, jiffies), from /proc/stat. */
export function machineTicks() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are the machine waiting.
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - f[4], total };
  } catch {
    return null;
  }
}

/** The share of all cores that was busy between two machineTicks() readings, in %. */
export function busyPercent(a, b) {
  return a && b && b.total > a.total ? (100 * (b.busy - a.busy)) / (b.total - a.total) : null;
}
