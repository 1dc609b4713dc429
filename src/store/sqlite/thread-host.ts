// The storage thread's side of threaded.ts: owns the one SQLite connection and answers the main
// thread's Store calls, one message each. Everything about transactions, group commit and the
// WAL fsync stays in SqliteStore, unchanged; this file only carries calls across.
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './log-store.ts';
import { toWire, type Call } from './wire.ts';
import { ROW_CODECS } from './wire-rows.ts';

const port = parentPort!;
const { file, queue } = workerData as { file: string; queue: 'log' | 'jobs' };
const store = openSqlite(file, queue) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

port.on('message', (call: Call) => {
  let pending: Promise<unknown>;
  try {
    const fn = store[call.m];
    if (typeof fn !== 'function') throw new Error(`storage thread: no method ${call.m}`);
    const codec = ROW_CODECS[call.m];
    pending = fn.apply(store, codec?.args ? codec.args.decode(call.a) : call.a);
    if (codec?.result) pending = pending.then(codec.result.encode);
  } catch (err) {
    pending = Promise.reject(err);
  }
  pending.then(
    (v) => answer(call.id, () => port.postMessage({ id: call.id, v })),
    (err) => answer(call.id, () => port.postMessage({ id: call.id, e: toWire(err) })),
  );
});

/**
 * Sends an answer; one that cannot be sent (a value structured clone refuses, or nests too deep
 * for its stack) is answered as that error, so no call waits for ever: a row nested 3,000 levels
 * deep made every read of it hang until the body depth limit kept such rows out (API fuzzing,
 * 2026-12-07).
 */
function answer(id: number, send: () => void): void {
  try {
    send();
  } catch (err) {
    port.postMessage({ id, e: toWire(new Error(`storage thread: the answer could not be sent (${(err as Error).message})`)) });
  }
}

port.postMessage({ id: 0, v: 'ready' });
