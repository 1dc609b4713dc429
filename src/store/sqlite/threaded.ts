// The SQLite store on its own thread. better-sqlite3 is synchronous: on the event loop every
// statement, commit and checkpoint stops the HTTP work of the API and the sender. Here the
// connection lives in a worker thread (thread-host.ts) and this proxy forwards each Store call as
// one message, so SQL runs on the second core beside the event loop. Bench (2026-11-22, 100,000
// events to one webhook, 2 cores): SQL was ~34% of the one busy thread, which capped the service
// at ~4,000-4,150 deliveries/s; on its own thread 5,300-6,200/s in six runs (the cost is a second
// V8 heap, see the README's Quick start on memory). Durability is unchanged: every call is
// answered only when SqliteStore would answer it, after the WAL fsync for writes.
import type { Worker } from 'node:worker_threads';
import { spawnThread } from './spawn.ts';
import type { NewAttachment, Store } from '../types.ts';
import { fromWire, type Call, type WireError } from './wire.ts';
import { ROW_CODECS } from './wire-rows.ts';

type Reply = { id: number; v?: unknown; e?: WireError };

class StorageThread {
  private readonly worker: Worker;
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private seq = 0;
  private dead: Error | null = null;
  private open = false;
  readonly ready: Promise<void>;

  /** onFatal: the thread died while the store was open (not after close()). */
  constructor(file: string, queue: 'log' | 'jobs', onFatal?: (err: Error) => void) {
    // Young generation 24 MB (main thread: semi-space 8 MB, about the same): 8 MB cost ~15% of
    // throughput (more scavenges of each claim's and publish's rows), V8's default more memory.
    this.worker = spawnThread('thread-host', { file, queue }, { maxYoungGenerationSizeMb: 24 });
    let started!: () => void;
    let failed!: (e: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
    this.worker.on('message', (r: Reply) => {
      if (r.id === 0) {
        this.open = true;
        this.worker.unref();
        return started();
      }
      const call = this.calls.get(r.id);
      if (!call) return;
      this.calls.delete(r.id);
      // An idle storage thread must not keep the process alive; a pending call must.
      if (!this.calls.size) this.worker.unref();
      if (r.e) call.reject(fromWire(r.e));
      else call.resolve(r.v);
    });
    const die = (err: Error) => {
      // A thread that never opened the database fails openStore() instead.
      if (!this.dead && this.open) onFatal?.(err);
      this.dead ??= err;
      failed(err);
      for (const c of this.calls.values()) c.reject(err);
      this.calls.clear();
    };
    this.worker.on('error', (err) => die(err));
    this.worker.on('exit', (code) => die(new Error(`storage thread exited (code ${code})`)));
  }

  call(m: string, a: unknown[]): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    const id = ++this.seq;
    if (!this.calls.size) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ id, m, a } satisfies Call);
      } catch (err) {
        // Arguments structured clone refuses: this call fails, nothing waits for its answer.
        this.calls.delete(id);
        if (!this.calls.size) this.worker.unref();
        reject(err);
      }
    });
  }

  async close(): Promise<void> {
    if (this.dead) return;
    await this.call('close', []);
    this.dead = new Error('store is closed');
    await this.worker.terminate();
  }
}

/** Opens a SQLite file on a storage thread; the result is a Store like SqliteStore itself. */
export async function openThreadedSqlite(file: string, onFatal?: (err: Error) => void, queue: 'log' | 'jobs' = 'log'): Promise<Store> {
  const thread = new StorageThread(file, queue, onFatal);
  await thread.ready;
  const own: Partial<Record<keyof Store, unknown>> = {
    engine: 'sqlite',
    close: () => thread.close(),
    // Its options are for PostgreSQL (a callback, which cannot cross to the thread).
    migrate: () => thread.call('migrate', []),
    // Structured clone turns Buffers into Uint8Arrays: file contents come back as Buffers.
    getAttachmentData: async (eventId: string) =>
      ((await thread.call('getAttachmentData', [eventId])) as NewAttachment[]).map((a) => ({ ...a, data: Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength) })),
  };
  return new Proxy(own, {
    get(target, prop) {
      if (prop in target) return target[prop as keyof Store];
      // Not a thenable: `await openThreadedSqlite()` must not call the thread.
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      const codec = ROW_CODECS[prop];
      const fn = codec
        ? async (...args: unknown[]) => {
            const v = await thread.call(prop, codec.args ? codec.args.encode(args) : args);
            return codec.result ? codec.result.decode(v) : v;
          }
        : (...args: unknown[]) => thread.call(prop, args);
      (target as Record<string, unknown>)[prop] = fn;
      return fn;
    },
  }) as Store;
}
