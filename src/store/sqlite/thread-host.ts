// The storage thread's side of threaded.ts: owns the one SQLite connection and answers the main
// thread's Store calls, one message each. Everything about transactions, group commit and the
// WAL fsync stays in SqliteStore, unchanged; this file only carries calls across.
import { parentPort, workerData } from 'node:worker_threads';
import type { PublishItem } from '../types.ts';
import { SqliteStore } from './index.ts';
import { toWire, type Call } from './wire.ts';

const port = parentPort!;
const store = new SqliteStore((workerData as { file: string }).file) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

/** Structured clone turns Buffers into Uint8Arrays; SQLite must bind file contents as blobs. */
function revive(method: string, args: unknown[]): unknown[] {
  if (method === 'publishEvents') {
    for (const item of args[0] as PublishItem[]) {
      for (const a of item.attachments) a.data = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    }
  }
  return args;
}

port.on('message', (call: Call) => {
  let pending: Promise<unknown>;
  try {
    const fn = store[call.m];
    if (typeof fn !== 'function') throw new Error(`storage thread: no method ${call.m}`);
    pending = fn.apply(store, revive(call.m, call.a));
  } catch (err) {
    pending = Promise.reject(err);
  }
  pending.then(
    (v) => port.postMessage({ id: call.id, v }),
    (err) => port.postMessage({ id: call.id, e: toWire(err) }),
  );
});

port.postMessage({ id: 0, v: 'ready' });
